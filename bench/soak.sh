#!/usr/bin/env bash
# The soak test of docs/reliability.md: the benchmark's protoapi server (every kind of method:
# unary, path and query, form, upload, download, WebSocket, server streams) under CONNS clients
# (256) of every kind at once for SECS seconds (600), on loopback. bench_client checks every
# answer and samples the server's resident memory, file descriptors and upload directory; it
# prints one JSON line (also written to target/soak/result.json) and fails unless there was no
# error, memory stayed within 10 % after warm-up, and no descriptor or temporary file was left.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${SECS:-600}
CONNS=${CONNS:-256}
PORT=${PORT:-9031}
WORK=$ROOT/target/soak
rm -rf "$WORK"
mkdir -p "$WORK/files" "$WORK/uploads"
export CARGO_TERM_COLOR=never

cargo build --release --quiet -p protoapi-bench --bins
head -c $((1 << 20)) /dev/zero > "$WORK/files/soak.bin"
# 256 clients, several connections each at times, plus the server's own descriptors.
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)"

"$ROOT/target/release/protoapi_server" --addr "127.0.0.1:$PORT" --dir "$WORK/files" \
    --uploads "$WORK/uploads" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2> /dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q listening "$WORK/server.log" && break
    sleep 0.1
done

status=0
"$ROOT/target/release/bench_client" soak "http://127.0.0.1:$PORT" --pid "$SERVER" \
    --uploads "$WORK/uploads" --conns "$CONNS" --secs "$SECS" | tee "$WORK/result.json" || status=$?
kill "$SERVER"
wait "$SERVER" 2> /dev/null || true
exit "$status"
