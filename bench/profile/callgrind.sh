#!/usr/bin/env bash
# Instructions and heap allocations per unary gRPC call, protoapi against the hand-written
# baseline, counted by valgrind's callgrind: figures that the machine's noise does not move.
#
#   bench/profile/callgrind.sh            # 20,000 small calls per server
#   CALLS=5000 BODY=64k bench/profile/callgrind.sh
#
# Each server runs under callgrind pinned to one core (one tokio worker, as in bench/run.sh);
# h2load warms it up with 2,000 calls, the counters are zeroed, CALLS calls are made
# (8 connections × 4 streams), and the counters are dumped. Prints one line per server:
# instructions per call (every thread of the process) and calls to the Rust allocator per call.
# Needs valgrind, h2load and a release build (`cargo build --release -p protoapi-bench --bins`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLS="${CALLS:-20000}"
BODY="${BODY:-small}"
bin="$root/target/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in valgrind callgrind_control h2load; do
    command -v "$tool" >/dev/null || { echo "callgrind.sh: $tool is missing" >&2; exit 1; }
done
"$bin/bench_client" grpc-body "$BODY" "$work/body.grpc"

h2() {
    h2load -t 1 -c 8 -m 4 -n "$1" -d "$work/body.grpc" -H 'content-type: application/grpc' \
        -H 'te: trailers' "http://127.0.0.1:$2/bench.Bench/Echo" 2>&1
}

measure() {
    local name=$1 port=$2 out="$work/callgrind.$1"
    taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$out.%p" \
        "$bin/$name" --addr "127.0.0.1:$port" >/dev/null 2>"$work/$name.log" &
    local pid=$!
    for _ in $(seq 200); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.3
    done
    h2 2000 "$port" >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    local result
    result=$(h2 "$CALLS" "$port")
    grep -q "$CALLS succeeded, 0 failed, 0 errored" <<<"$result" ||
        { echo "callgrind.sh: h2load failed against $name: $result" >&2; kill "$pid"; exit 1; }
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 1
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    python3 - "$name" "$CALLS" "$out".*.1 <<'PY'
import re, sys
name, calls, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names, total, allocs = {}, 0, 0
current_callee = None
for line in open(path, errors="replace"):
    if line.startswith("summary:") or line.startswith("totals:"):
        total = max(total, int(line.split()[1]))
    elif line.startswith("cfn="):
        m = re.match(r"cfn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
        if m and m.group(2):
            names[m.group(1)] = m.group(2)
        current_callee = names.get(m.group(1)) if m else None
    elif line.startswith("fn="):
        m = re.match(r"fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
        if m and m.group(2):
            names[m.group(1)] = m.group(2)
    elif line.startswith("calls=") and current_callee is not None:
        if re.search(r"__rust_(alloc|realloc|alloc_zeroed)$", current_callee):
            allocs += int(line[6:].split()[0])
        current_callee = None
print(f"{name:16} {total / calls:10.0f} instructions/call {allocs / calls:6.1f} allocations/call")
PY
}

measure protoapi_server 9001
measure baseline_server 9002
