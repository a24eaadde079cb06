#!/usr/bin/env bash
# Mutation testing of the code that reads and writes the wire (docs/reliability.md): cargo-mutants
# changes one thing at a time in the JSON and protobuf codecs (`protoapi/src/codec/`), the
# status mapping (`protoapi/src/status.rs`) and the WebSocket frames
# (`protoapi/src/websocket/frame.rs`), and runs protoapi's own tests against each change; a
# change that no test notices "survives". Run by hand, not in CI: on 2 cores each mutant costs
# a build of protoapi's tests. Arguments go to cargo-mutants (`--file protoapi/src/status.rs`
# for one file, `--shard 1/4` for a quarter, `--list` to count).
#
#   cargo install cargo-mutants --locked
#   bash tests/mutants.sh [ARGS...]
#
# The results are in mutants.out/ (`missed.txt` lists the survivors).
set -euo pipefail
cd "$(dirname "$0")/.."
files=(--file 'protoapi/src/codec/**' --file protoapi/src/status.rs --file protoapi/src/websocket/frame.rs)
for arg in "$@"; do
    # A --file of the caller's narrows the run to it.
    [ "$arg" = --file ] && files=()
done
exec cargo mutants --package protoapi "${files[@]}" --test-package protoapi --timeout 60 "$@" -- --lib
