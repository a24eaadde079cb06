#!/usr/bin/env bash
# The compile cost of one API of 50 unary methods and 100 messages, written through protoapi
# (`#[protoapi::service]`, `#[protoapi::message]`) and through tonic-prost-build (a `.proto`
# file, `build.rs`, protoc).
#
#   bench/compile/run.sh            # ROUNDS=3 by default
#   ROUNDS=1 bench/compile/run.sh
#
# gen.py writes a throwaway workspace (OUT, default target/bench-compile) with the crates
# `api-protoapi` and `api-tonic` sharing one target directory, starting from this repository's
# Cargo.lock so that both use its tonic and prost. Every dependency is built first (untimed;
# minutes the first time). Then, for `cargo check` and `cargo build` (dev profile), each round
# cleans one API crate (`cargo clean -p`) and times its build, alternating the two crates; for
# api-tonic the build script's compilation and run (protoc, code generation) are part of the
# time, as they are of every clean build of such a crate. Last, `cargo rustc -- -Z time-passes`
# (RUSTC_BOOTSTRAP=1) gives rustc's own time for macro expansion (`expand_crate`) of each crate.
#
# Output: a table on stderr; on stdout one JSON line per figure,
#   {"name":"compile: cargo build, 50-method service","protoapi":..,"baseline":..,"unit":"s","ratio":..}
# with baseline = tonic's figure and ratio = tonic / protoapi (above 1: protoapi is faster).
#
# Environment: ROUNDS (3), METHODS (50), OUT (the workspace directory), CARGO (cargo).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ROUNDS="${ROUNDS:-3}"
METHODS="${METHODS:-50}"
OUT="${OUT:-$root/target/bench-compile}"
CARGO="${CARGO:-cargo}"

say() { echo "compile-bench: $*" >&2; }

if ! command -v protoc >/dev/null 2>&1; then
    say "protoc is missing: installing protobuf-compiler"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq >&2 || true
    $sudo apt-get install -y -qq protobuf-compiler >&2
fi

python3 "$here/gen.py" generate "$OUT" --protoapi "$root/protoapi" --lock "$root/Cargo.lock" \
    --methods "$METHODS" >/dev/null
export CARGO_TARGET_DIR="$OUT/target"
logs="$OUT/logs"
rm -rf "$logs"
mkdir -p "$logs"
cd "$OUT"

# Runs cargo with its output in a log; shows the log's end when it fails.
run() {
    local log="$1"
    shift
    if ! "$@" >>"$log" 2>&1; then
        say "failed: $*"
        tail -n 40 "$log" >&2
        exit 1
    fi
}

now() { date +%s.%N; }

say "workspace $OUT ($METHODS methods); building the dependencies (untimed)"
for command in check build; do
    for crate in api-protoapi api-tonic; do
        run "$logs/warmup.log" "$CARGO" "$command" -p "$crate"
    done
done
# `-Z time-passes` needs RUSTC_BOOTSTRAP=1, given to the rustc of the two API crates only: set
# for cargo, it would rerun the build scripts that watch it (proc-macro2's, anyhow's, ...) and
# rebuild most dependencies on every switch.
wrapper="$OUT/rustc-bootstrap"
printf '#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec "$@"\n' >"$wrapper"
chmod +x "$wrapper"
time_passes() {
    RUSTC_WORKSPACE_WRAPPER="$wrapper" "$CARGO" rustc -p "$1" --lib -- -Z time-passes
}
# Once, untimed: whatever this builds beside the API crates is built here.
for crate in api-protoapi api-tonic; do
    run "$logs/warmup.log" time_passes "$crate"
done

times="$logs/times.txt"
: >"$times"
for command in check build; do
    for round in $(seq 1 "$ROUNDS"); do
        for crate in api-protoapi api-tonic; do
            log="$logs/$command-$crate-$round.log"
            for _ in 1 2 3; do
                run "$logs/clean.log" "$CARGO" clean -p "$crate"
                : >"$log"
                start="$(now)"
                run "$log" "$CARGO" "$command" -p "$crate"
                end="$(now)"
                seconds="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
                # Anything else rebuilt (protoapi edited meanwhile, say) is in the time: again.
                others="$(grep -E "^ *(Compiling|Checking) " "$log" | grep -vE " $crate v" || true)"
                if [ -z "$others" ]; then break; fi
                say "cargo $command -p $crate also rebuilt $(echo "$others" | awk '{print $2}' | paste -sd ' '): measuring again"
            done
            echo "$command $crate $seconds" >>"$times"
            say "cargo $command -p $crate, round $round/$ROUNDS: ${seconds}s"
        done
    done
done

# rustc's own passes: `time:   1.234; rss: ...   expand_crate`.
passes="$logs/passes.txt"
: >"$passes"
pass=""
for round in $(seq 1 "$ROUNDS"); do
    for crate in api-protoapi api-tonic; do
        run "$logs/clean.log" "$CARGO" clean -p "$crate"
        log="$logs/time-passes-$crate-$round.log"
        run "$log" time_passes "$crate"
        if [ -z "$pass" ]; then
            # The pass that wraps macro expansion: `expand_crate` on current rustc
            # (`macro_expand_crate` nested in it).
            for name in expand_crate macro_expand_crate; do
                if grep -qE "^time: .*[[:space:]]$name\$" "$log"; then
                    pass="$name"
                    break
                fi
            done
        fi
        echo "$crate $log" >>"$passes"
    done
done
if [ -z "$pass" ]; then
    say "-Z time-passes printed no expansion pass (see $logs/time-passes-*.log): no expansion figure"
    pass="expand_crate"
else
    say "expansion pass: $pass"
fi

python3 "$here/gen.py" report "$times" "$passes" --methods "$METHODS" --pass-name "$pass"
