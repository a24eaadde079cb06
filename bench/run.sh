#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md: protoapi against the same API written by hand with tonic and
# axum (with tonic's gzip and tower-http's compression for the compressed cases), against a
# Connect server written with connectrpc, and against the Python stacks (grpcio, flask-restful
# on gunicorn, python-socketio on aiohttp); Socket.IO against socketioxide by hand, GraphQL
# against async-graphql by hand. Builds in release mode, starts the servers pinned to one core,
# drives them from the other with h2load (gRPC), wrk (HTTP, Connect, GraphQL), curl (uploads,
# downloads) and bench_client (WebSocket, Socket.IO, streams, broadcasts, GraphQL
# subscriptions), alternating protoapi and baseline runs so that drift hits both, then prints
# the table and writes bench/results.json. Also runs the compile-cost comparison and the
# decoder micro-benchmarks.
#
# Settings (environment): SECS (seconds per run, 10), ROUNDS (runs per side, 3), ONLY (an
# extended regex: only the cases whose name matches; the others keep their figures in
# bench/results.json), SKIP_PYTHON=1, SKIP_COMPILE=1, SKIP_CRITERION=1, SERVER_CPU (1) and
# CLIENT_CPU (0); CARGO_TARGET_DIR is where the release
# binaries are built (target/ if unset).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
ONLY=${ONLY:-}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
WORK=$ROOT/target/bench
mkdir -p "$WORK"
export DEBIAN_FRONTEND=noninteractive CARGO_TERM_COLOR=never

log() { printf '%s\n' "$*" >&2; }

# selected NAME...: whether ONLY picks any of these cases.
selected() {
    [ -z "$ONLY" ] && return 0
    local name
    for name in "$@"; do grep -Eq "$ONLY" <<<"$name" && return 0; done
    return 1
}

# ---- tools -------------------------------------------------------------------------------------
missing=()
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v taskset >/dev/null || missing+=(util-linux)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${SKIP_PYTHON:-0}" != 1 ]; then
    [ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/python/requirements.txt
fi

# The broadcast case holds 1,000 sockets: each a descriptor in the client and in the server.
if [ "$(ulimit -n)" -lt 4096 ] && ! ulimit -n 4096; then
    log "the broadcast case needs an open file limit of 4096"
    exit 1
fi

log "building in release mode"
cargo build --release --quiet -p protoapi-bench --bins
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
CLIENT=(taskset -c "$CLIENT_CPU" "$BIN/bench_client")

# ---- data --------------------------------------------------------------------------------------
mkdir -p "$WORK/files"
[ -s "$WORK/files/big.bin" ] || head -c $((1 << 30)) /dev/zero >"$WORK/files/big.bin"
[ -s "$WORK/upload.bin" ] || head -c $((256 << 20)) /dev/urandom >"$WORK/upload.bin"
"$BIN/bench_client" grpc-body small "$WORK/small.grpc"
"$BIN/bench_client" grpc-body 64k "$WORK/64k.grpc"
"$BIN/bench_client" grpc-body 4k "$WORK/4k.gzip.grpc" --gzip
# The JSON echo request of about 4 KiB that bench/wrk/echo_4k.lua sends.
export ECHO_4K_BODY=$WORK/echo_4k.json
"$BIN/bench_client" json-body 4k "$ECHO_4K_BODY"
"$BIN/protoapi_server" --proto-out "$WORK/proto"

# ---- servers -----------------------------------------------------------------------------------
P=9001 # protoapi
B=9002 # hand-written tonic + axum
BZ=9003 # the same with gzip (tonic) and tower-http's CompressionLayer
BC=9004 # hand-written connectrpc (Connect)
PY_GRPC=9011
PY_FLASK=9012
PY_SIO=9013
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# start NAME PORT COMMAND...: starts a server on the server core and waits for its port.
start() {
    local name=$1 port=$2
    shift 2
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        log "port $port is already in use: stop what listens there first"
        exit 1
    fi
    taskset -c "$SERVER_CPU" "$@" >"$WORK/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    echo "$pid" >"$WORK/$name.pid"
    for _ in $(seq 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    log "$name did not start; its log:"
    cat "$WORK/$name.log" >&2
    exit 1
}

stop() {
    local pid
    pid=$(cat "$WORK/$1.pid")
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

start protoapi $P "$BIN/protoapi_server" --addr 127.0.0.1:$P --dir "$WORK/files"
start baseline $B "$BIN/baseline_server" --addr 127.0.0.1:$B --dir "$WORK/files"
COMPRESSED_CASES=("gRPC unary with gzip, 4 KiB message" "server streaming with gzip, gRPC"
    "HTTP JSON with compressed answers, 4 KiB")
CONNECT_CASES=("Connect unary, JSON" "Connect unary, proto")
if selected "${COMPRESSED_CASES[@]}"; then
    start baseline-gzip $BZ "$BIN/baseline_server" --addr 127.0.0.1:$BZ --dir "$WORK/files" --compression
fi
if selected "${CONNECT_CASES[@]}"; then
    start connect $BC "$BIN/connect_server" --addr 127.0.0.1:$BC
fi

# ---- measuring ---------------------------------------------------------------------------------
RAW=$WORK/raw.tsv
: >"$RAW"

# record CASE SIDE VALUE UNIT BETTER AGAINST
record() {
    # A failed measurement (in a subshell, where `fail` cannot stop the script) leaves no number.
    [[ $3 =~ ^[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$ ]] || fail "no figure for $1 ($2): '$3'"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
    log "  $2: $3 $4"
}

fail() {
    log "FAILED: $*"
    exit 1
}

# h2load_rps URL BODY CONNECTIONS STREAMS [HEADER...]: gRPC requests per second; each HEADER
# is one more `name: value` sent with every request.
h2load_rps() {
    local out url=$1 body=$2 conns=$3 streams=$4 header headers=()
    shift 4
    for header in "$@"; do headers+=(-H "$header"); done
    out=$(taskset -c "$CLIENT_CPU" h2load -t 1 -c "$conns" -m "$streams" -D "$SECS" --warm-up-time=1 \
        -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' "${headers[@]}" "$url" 2>&1) ||
        fail "h2load: $out"
    grep -Eq ' 0 failed, 0 errored, 0 timeout' <<<"$out" || fail "h2load errors: $out"
    grep -Eq 'status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx' <<<"$out" || fail "h2load statuses: $out"
    sed -nE 's/^finished in .*, ([0-9.]+) req\/s.*/\1/p' <<<"$out"
}

# wrk_rps URL CONNECTIONS [LUA]: HTTP requests per second.
wrk_rps() {
    local out script=()
    [ -n "${3:-}" ] && script=(-s "$ROOT/bench/wrk/$3")
    out=$(taskset -c "$CLIENT_CPU" wrk -t 1 -c "$2" -d "${SECS}s" "${script[@]}" "$1" 2>&1) || fail "wrk: $out"
    ! grep -Eq 'Non-2xx|Socket errors|Wrong answers' <<<"$out" || fail "wrk errors: $out"
    sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' <<<"$out"
}

# client_rate ARGS...: what bench_client measured per second.
client_rate() {
    local out
    out=$("${CLIENT[@]}" "$@" --secs "$SECS") || fail "bench_client $*: $out"
    python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["per_sec"])' <<<"$out"
}

# ab CASE UNIT AGAINST FUNCTION [BASELINE_PORT]: FUNCTION PORT prints the figure (higher is
# better); runs ROUNDS times per side, alternating which side goes first.
ab() {
    local name=$1 unit=$2 against=$3 fn=$4 other=${5:-$B}
    selected "$name" || return 0
    log "$name"
    for round in $(seq "$ROUNDS"); do
        local sides=(protoapi baseline)
        [ $((round % 2)) -eq 0 ] && sides=(baseline protoapi)
        for side in "${sides[@]}"; do
            local port=$P
            [ "$side" = baseline ] && port=$other
            record "$name" "$side" "$($fn "$port")" "$unit" higher "$against"
        done
    done
}

# under_load CHECK... -- LOAD...: runs LOAD, which prints the figure, while `bench_client CHECK...`
# checks calls of the same kind beside it for as long (h2load counts every HTTP 200 as a
# success, whatever its grpc-status); a wrong answer under load fails the case.
under_load() {
    local check=() pid figure
    while [ "$1" != -- ]; do check+=("$1"); shift; done
    shift
    taskset -c "$CLIENT_CPU" "$BIN/bench_client" "${check[@]}" --during "$SECS" >"$WORK/check.out" 2>&1 &
    pid=$!
    figure=$("$@")
    wait "$pid" || fail "a gRPC answer under load: $(cat "$WORK/check.out")"
    echo "$figure"
}

grpc_small() {
    "$BIN/bench_client" grpc-check small "http://127.0.0.1:$1" || fail "gRPC echo on $1"
    under_load grpc-check small "http://127.0.0.1:$1" -- \
        h2load_rps "http://127.0.0.1:$1/bench.Bench/Echo" "$WORK/small.grpc" 32 8
}
grpc_64k() {
    "$BIN/bench_client" grpc-check 64k "http://127.0.0.1:$1" || fail "gRPC echo on $1"
    under_load grpc-check 64k "http://127.0.0.1:$1" -- \
        h2load_rps "http://127.0.0.1:$1/bench.Bench/Echo" "$WORK/64k.grpc" 8 4
}
grpc_256() {
    "$BIN/bench_client" grpc-check small "http://127.0.0.1:$1" || fail "gRPC echo on $1"
    under_load grpc-check small "http://127.0.0.1:$1" -- \
        h2load_rps "http://127.0.0.1:$1/bench.Bench/Echo" "$WORK/small.grpc" 256 1
}
http_json() { wrk_rps "http://127.0.0.1:$1/echo" 64 echo.lua; }
http_json_256() { wrk_rps "http://127.0.0.1:$1/echo" 256 echo.lua; }
http_query() { wrk_rps "http://127.0.0.1:$1/users/7?verbose=true&limit=3&tag=rust" 64 query.lua; }
http_form() { wrk_rps "http://127.0.0.1:$1/signup" 64 signup.lua; }
ws_echo() { client_rate ws-echo "ws://127.0.0.1:$1/echo/ws" --conns 16; }
sio_echo() { client_rate ws-echo "ws://127.0.0.1:$1/socket.io/?EIO=4&transport=websocket" --conns 16 --socketio; }
ws_echo_8() { client_rate ws-echo "ws://127.0.0.1:$1/echo/ws" --conns 16 --in-flight 8; }
sio_echo_8() {
    client_rate ws-echo "ws://127.0.0.1:$1/socket.io/?EIO=4&transport=websocket" --conns 16 --in-flight 8 --socketio
}
# Notes delivered per second: one of 1,000 sockets shouts, every socket hears each shout.
sio_broadcast() {
    client_rate sio-broadcast "ws://127.0.0.1:$1/socket.io/?EIO=4&transport=websocket" --conns 1000 --window 32
}
stream_grpc() { client_rate stream grpc "http://127.0.0.1:$1" --conns 4 --count 10000; }
stream_grpc_gzip() { client_rate stream grpc "http://127.0.0.1:$1" --conns 4 --count 10000 --gzip; }
stream_ws() { client_rate stream ws "http://127.0.0.1:$1" --conns 4 --count 10000; }
stream_sse() { client_rate stream sse "http://127.0.0.1:$1" --conns 4 --count 10000; }

# Compressed answers. gRPC: a request compressed with gzip, the answer accepted in gzip (the
# 4 KiB message: protoapi compresses unary answers from 1 KiB, tonic every answer).
grpc_4k_gzip() {
    "$BIN/bench_client" grpc-check 4k "http://127.0.0.1:$1" --gzip || fail "gRPC gzip echo on $1"
    under_load grpc-check 4k "http://127.0.0.1:$1" --gzip -- \
        h2load_rps "http://127.0.0.1:$1/bench.Bench/Echo" "$WORK/4k.gzip.grpc" 32 8 \
        'grpc-encoding: gzip' 'grpc-accept-encoding: gzip'
}
# HTTP: the 4 KiB JSON echo with `Accept-Encoding: gzip`, its answer checked once with curl.
http_json_gzip() {
    local out="$WORK/echo_4k.$1"
    curl -sS -D "$out.headers" -o "$out.body" -H 'Accept-Encoding: gzip' \
        -H 'Content-Type: application/json' --data-binary "@$ECHO_4K_BODY" \
        "http://127.0.0.1:$1/echo" || fail "curl /echo on $1"
    grep -Eq '^HTTP/1.1 200' "$out.headers" || fail "/echo on $1: $(cat "$out.headers")"
    grep -iEq '^content-encoding: gzip' "$out.headers" || fail "/echo on $1 is not in gzip: $(cat "$out.headers")"
    gunzip -c "$out.body" | python3 -c '
import json, sys
request = json.load(open(sys.argv[1]))
want = {"id": str(request["id"]), "message": "hello " + request["name"], "tags": request["tags"]}
got = json.load(sys.stdin)
sys.exit(0 if got == want else "unexpected answer: %s" % got)' "$ECHO_4K_BODY" || fail "/echo on $1"
    wrk_rps "http://127.0.0.1:$1/echo" 64 echo_4k.lua
}
# Connect unary over HTTP/1.1, the answers checked first by bench_client.
connect_json() {
    "$BIN/bench_client" connect-check "http://127.0.0.1:$1" || fail "Connect echo on $1"
    wrk_rps "http://127.0.0.1:$1/bench.Bench/Echo" 64 connect_json.lua
}
connect_proto() {
    "$BIN/bench_client" connect-check "http://127.0.0.1:$1" || fail "Connect echo on $1"
    wrk_rps "http://127.0.0.1:$1/bench.Bench/Echo" 64 connect_proto.lua
}

# GraphQL over POST /graphql, each answer compared with the exact body by the script; the
# subscription of `ticks` over graphql-transport-ws, each `next` message checked by bench_client.
graphql_query() { wrk_rps "http://127.0.0.1:$1/graphql" 64 graphql_query.lua; }
graphql_mutation() { wrk_rps "http://127.0.0.1:$1/graphql" 64 graphql_mutation.lua; }
graphql_subscription() { client_rate stream graphql "http://127.0.0.1:$1" --conns 4 --count 10000; }

ab "gRPC unary, small message" req/s "hand-written tonic" grpc_small
ab "gRPC unary, 64 KiB message" req/s "hand-written tonic" grpc_64k
ab "HTTP JSON unary" req/s "hand-written axum" http_json
ab "GET with path + query binding" req/s "hand-written axum" http_query
ab "urlencoded form" req/s "hand-written axum" http_form
ab "WebSocket unary round trips" calls/s "hand-written axum" ws_echo
ab "WebSocket round trips, 8 in flight per socket" calls/s "hand-written axum" ws_echo_8
ab "Socket.IO unary round trips" calls/s "hand-written socketioxide" sio_echo
ab "Socket.IO round trips, 8 in flight per socket" calls/s "hand-written socketioxide" sio_echo_8
ab "Socket.IO broadcast to 1,000 sockets" msgs/s "hand-written socketioxide (io.emit)" sio_broadcast
ab "server streaming, gRPC" msgs/s "hand-written tonic" stream_grpc
ab "server streaming, WebSocket" msgs/s "hand-written axum" stream_ws
ab "server streaming, SSE" msgs/s "hand-written axum" stream_sse
ab "256 connections, HTTP JSON" req/s "hand-written axum" http_json_256
ab "256 connections, gRPC" req/s "hand-written tonic" grpc_256
ab "gRPC unary with gzip, 4 KiB message" req/s "hand-written tonic, gzip" grpc_4k_gzip $BZ
ab "server streaming with gzip, gRPC" msgs/s "hand-written tonic, gzip" stream_grpc_gzip $BZ
ab "HTTP JSON with compressed answers, 4 KiB" req/s "hand-written axum + tower-http CompressionLayer" \
    http_json_gzip $BZ
ab "Connect unary, JSON" req/s "connectrpc (connect-rust)" connect_json $BC
ab "Connect unary, proto" req/s "connectrpc (connect-rust)" connect_proto $BC
ab "GraphQL query round trips" req/s "hand-written async-graphql (axum)" graphql_query
ab "GraphQL mutation round trips" req/s "hand-written async-graphql (axum)" graphql_mutation
ab "GraphQL subscription, graphql-transport-ws" msgs/s "hand-written async-graphql (axum)" \
    graphql_subscription

# Uploads: throughput, and the server's peak resident memory above idle during the upload
# (VmHWM after resetting it with clear_refs).
kib() { sed -nE "s/^$2:[[:space:]]+([0-9]+) kB/\1/p" "/proc/$1/status"; }
upload_once() { # SIDE PORT
    local pid idle out size secs peak
    pid=$(cat "$WORK/$1.pid")
    idle=$(kib "$pid" VmRSS)
    echo 5 >"/proc/$pid/clear_refs"
    out=$(taskset -c "$CLIENT_CPU" curl -sS -w '\n%{http_code} %{time_total}' \
        -F "file=@$WORK/upload.bin" "http://127.0.0.1:$2/upload") || fail "upload: $out"
    grep -q '"size":"268435456"' <<<"$out" || fail "upload answer: $out"
    grep -q '^200 ' <<<"$(tail -n1 <<<"$out")" || fail "upload status: $out"
    secs=$(tail -n1 <<<"$out" | cut -d' ' -f2)
    peak=$(kib "$pid" VmHWM)
    record "multipart upload, 256 MiB" "$1" "$(python3 -c "print(256 / $secs)")" MiB/s higher "hand-written axum"
    # The kernel's resident-size counters lag by a few dozen pages: a peak a little under the
    # idle size means no growth.
    record "upload peak memory above idle, 256 MiB" "$1" "$(python3 -c "print(max(0, $peak - $idle) / 1024)")" MiB lower "hand-written axum"
}
if selected "multipart upload, 256 MiB" "upload peak memory above idle, 256 MiB"; then
    log "multipart upload, 256 MiB"
    # Disk writes make single uploads noisy: three per side per round.
    for round in $(seq "$ROUNDS"); do
        for _ in 1 2 3; do
            if [ $((round % 2)) -eq 1 ]; then
                upload_once protoapi $P
                upload_once baseline $B
            else
                upload_once baseline $B
                upload_once protoapi $P
            fi
        done
    done
fi

# download_rate PORT [RANGE]: MiB/s of GET /files/big.bin, whole or a byte range.
download_rate() {
    local out code size secs range=() want=$((1 << 30)) want_code=200
    if [ -n "${2:-}" ]; then
        range=(-r "$2")
        want=$((512 << 20))
        want_code=206
    fi
    out=$(taskset -c "$CLIENT_CPU" curl -sS -o /dev/null "${range[@]}" \
        -w '%{http_code} %{size_download} %{time_total}' "http://127.0.0.1:$1/files/big.bin") || fail "download: $out"
    read -r code size secs <<<"$out"
    [ "$code" = "$want_code" ] && [ "$size" = "$want" ] || fail "download answered $code with $size bytes"
    python3 -c "print($size / (1 << 20) / $secs)"
}
# Three downloads per run, the figure their median: a single one is noisy.
median3() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
download_full() { median3 "$(download_rate "$1")" "$(download_rate "$1")" "$(download_rate "$1")"; }
download_range() {
    local r="$((512 << 20))-"
    median3 "$(download_rate "$1" "$r")" "$(download_rate "$1" "$r")" "$(download_rate "$1" "$r")"
}
ab "download 1 GiB" MiB/s "hand-written axum (ServeFile)" download_full
ab "download 512 MiB of 1 GiB with Range" MiB/s "hand-written axum (ServeFile)" download_range

stop protoapi
stop baseline
if selected "${COMPRESSED_CASES[@]}"; then stop baseline-gzip; fi
if selected "${CONNECT_CASES[@]}"; then stop connect; fi

# ---- the Python stacks -------------------------------------------------------------------------
if [ "${SKIP_PYTHON:-0}" != 1 ]; then
    PY=$ROOT/bench/.venv/bin
    start protoapi $P "$BIN/protoapi_server" --addr 127.0.0.1:$P --dir "$WORK/files"
    if selected "gRPC unary, small message, vs grpcio"; then
        start py-grpc $PY_GRPC "$PY/python" bench/python/grpc_server.py --port $PY_GRPC --proto-dir "$WORK/proto"
        ab "gRPC unary, small message, vs grpcio" req/s "Python grpcio" grpc_small $PY_GRPC
        stop py-grpc
    fi
    if selected "HTTP JSON unary, vs flask-restful" "GET with path + query binding, vs flask-restful" \
        "urlencoded form, vs flask-restful"; then
        start py-flask $PY_FLASK "$PY/gunicorn" --chdir bench/python -k gthread --threads 4 -w 1 --no-control-socket \
            -b 127.0.0.1:$PY_FLASK flask_server:app
        ab "HTTP JSON unary, vs flask-restful" req/s "Python flask-restful (gunicorn)" http_json $PY_FLASK
        ab "GET with path + query binding, vs flask-restful" req/s "Python flask-restful (gunicorn)" http_query $PY_FLASK
        ab "urlencoded form, vs flask-restful" req/s "Python flask-restful (gunicorn)" http_form $PY_FLASK
        stop py-flask
    fi
    if selected "WebSocket unary round trips, vs python-socketio" \
        "WebSocket round trips, 8 in flight per socket, vs python-socketio" \
        "Socket.IO unary round trips, vs python-socketio" \
        "Socket.IO round trips, 8 in flight per socket, vs python-socketio"; then
        start py-sio $PY_SIO "$PY/python" bench/python/socketio_server.py --port $PY_SIO
        ab_ws_sio() { if [ "$1" = $P ]; then ws_echo "$1"; else sio_echo "$1"; fi; }
        ab_ws_sio_8() { if [ "$1" = $P ]; then ws_echo_8 "$1"; else sio_echo_8 "$1"; fi; }
        ab "WebSocket unary round trips, vs python-socketio" calls/s "Python python-socketio (aiohttp)" ab_ws_sio $PY_SIO
        ab "WebSocket round trips, 8 in flight per socket, vs python-socketio" calls/s \
            "Python python-socketio (aiohttp)" ab_ws_sio_8 $PY_SIO
        ab "Socket.IO unary round trips, vs python-socketio" calls/s "Python python-socketio (aiohttp)" sio_echo $PY_SIO
        ab "Socket.IO round trips, 8 in flight per socket, vs python-socketio" calls/s \
            "Python python-socketio (aiohttp)" sio_echo_8 $PY_SIO
        stop py-sio
    fi
    stop protoapi
fi

# ---- compile cost and decoders -----------------------------------------------------------------
EXTRA=()
if [ "${SKIP_COMPILE:-0}" != 1 ] && selected "compile: cargo build" "compile: cargo check" "compile: macro expansion"; then
    log "compile cost (bench/compile/run.sh)"
    bash bench/compile/run.sh >"$WORK/compile.jsonl"
    EXTRA+=("$WORK/compile.jsonl")
fi
if [ "${SKIP_CRITERION:-0}" != 1 ] && selected "decode: json" "decode: form" "decode: query" "decode: path"; then
    log "decoder micro-benchmarks (criterion)"
    cargo bench --quiet -p protoapi-bench --bench decoders >"$WORK/criterion.txt" 2>&1 ||
        { cat "$WORK/criterion.txt" >&2; fail "cargo bench"; }
    python3 bench/criterion.py "$ROOT/target/criterion" >"$WORK/criterion.jsonl"
    EXTRA+=("$WORK/criterion.jsonl")
fi

echo
# With ONLY, the cases measured replace theirs in bench/results.json and the others stay.
MERGE=()
[ -n "$ONLY" ] && MERGE=(--merge)
python3 bench/report.py "${MERGE[@]}" "$RAW" bench/results.json "${EXTRA[@]}"
log "wrote bench/results.json"
