#!/usr/bin/env bash
# Runs each fuzz target for a while: `fuzz/run.sh [SECONDS] [TARGET...]` (default 600 seconds
# each, every target). The seeds under fuzz/seeds start each corpus; findings land in
# fuzz/artifacts/TARGET, and every crash becomes a regression test (docs/reliability.md).
#
# cargo-fuzz needs nightly compiler flags (the sanitizer); on a stable toolchain they are
# allowed with RUSTC_BOOTSTRAP=1, so no second toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(json form query path multipart websocket_frame grpc_frame connect_envelope compressed_body)
fi

command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# The instrumented build stays in fuzz/target, apart from the workspace's.
export CARGO_TARGET_DIR="$PWD/target"

cargo fuzz build -O --debug-assertions
triple="$(rustc -vV | sed -n 's/^host: //p')"
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    cp -n "seeds/$target"/* "corpus/$target/" 2> /dev/null || true
    echo "== $target: ${seconds} s"
    # The binary cargo-fuzz built, run directly: `cargo fuzz run` would build again first.
    "target/$triple/release/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | tee "run-$target.log" | grep -E '^(#[0-9]+ +DONE|stat::|==|SUMMARY|Done)' || true
    if grep -q -E 'ERROR|panicked|SUMMARY: ' "run-$target.log"; then
        echo "$target found a failure: see fuzz/run-$target.log and fuzz/artifacts/$target" >&2
        exit 1
    fi
done
