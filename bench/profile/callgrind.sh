#!/usr/bin/env bash
# Instructions and heap allocations per call, protoapi against the hand-written baseline,
# counted by valgrind's callgrind: figures that the machine's noise does not move.
#
#   bench/profile/callgrind.sh                 # every case, 20,000 calls each
#   CALLS=5000 ONLY='^gRPC' bench/profile/callgrind.sh
#   OUT=/tmp/profiles ONLY='^GraphQL' bench/profile/callgrind.sh   # keeps the profiles
#
# Cases: gRPC unary (small and 64 KiB), HTTP JSON unary, GET with path + query binding,
# urlencoded form, gRPC unary with gzip (4 KiB), HTTP JSON with compressed answers (4 KiB),
# Connect unary (JSON and proto), GraphQL (query, mutation, and a subscription's messages,
# counted per message), Socket.IO unary round trips (one and 8 in flight per socket, counted
# per call); the loads of bench/run.sh, against the same baselines
# (`baseline_server`, with `--compression` for the compressed cases; `connect_server`). For
# each case and server: the server runs under callgrind pinned to one core (one tokio worker,
# as in bench/run.sh); h2load (HTTP/2, or HTTP/1.1 with --h1; 8 connections) warms it up with
# 2,000 calls, the counters are zeroed, CALLS calls are made, and the counters are dumped. Prints a line per case: instructions per
# call (every thread of the process) and calls to the Rust allocator per call, each server's,
# and the ratio baseline / protoapi (above 1: protoapi does less).
# Needs valgrind, h2load and a release build (`cargo build --release -p protoapi-bench --bins`,
# in CARGO_TARGET_DIR if set).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLS="${CALLS:-20000}"
# How long the Socket.IO cases call, in seconds (they count the calls made, not CALLS).
SIO_SECS="${SIO_SECS:-4}"
ONLY="${ONLY:-}"
# A directory to keep each server's profile in, for callgrind_annotate.
OUT="${OUT:-}"
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in valgrind callgrind_control h2load; do
    command -v "$tool" >/dev/null || { echo "callgrind.sh: $tool is missing" >&2; exit 1; }
done
"$bin/bench_client" grpc-body small "$work/small.grpc"
"$bin/bench_client" grpc-body 64k "$work/64k.grpc"
"$bin/bench_client" grpc-body 4k "$work/4k.gzip.grpc" --gzip
"$bin/bench_client" json-body 4k "$work/echo_4k.json"
printf '%s' '{"id":42,"name":"bench","tags":["a","b"]}' >"$work/echo.json"
printf '%s' '{"id":"42","name":"bench","tags":["a","b"]}' >"$work/connect.json"
printf '\x08\x2a\x12\x05bench\x1a\x01a\x1a\x01b' >"$work/connect.bin"
printf '%s' 'name=Ann&email=ann%40example.com&age=30&subscribe=true' >"$work/form.txt"
# The bodies of bench/wrk/graphql_query.lua and graphql_mutation.lua, and their answers.
printf '%s' '{"query":"{ getUser(id: \"7\", verbose: true, limit: 3, tag: \"rust\") { id name email tags } }"}' \
    >"$work/graphql_query.json"
printf '%s' '{"data":{"getUser":{"id":"7","name":"user 7","email":"user7@example.com","tags":["rust","rust","rust"]}}}' \
    >"$work/graphql_query.want"
printf '%s' '{"query":"mutation { echo(id: \"42\", name: \"bench\", tags: [\"a\", \"b\"]) { id message tags } }"}' \
    >"$work/graphql_mutation.json"
printf '%s' '{"data":{"echo":{"id":"42","message":"hello bench","tags":["a","b"]}}}' >"$work/graphql_mutation.want"
grpc=(-m 4 -H 'content-type: application/grpc' -H 'te: trailers')

# load CASE PORT COUNT: h2load's report of COUNT calls of the case.
load() {
    local name=$1 port=$2 count=$3 path args
    case "$name" in
    "gRPC unary, small message") path=/bench.Bench/Echo args=("${grpc[@]}" -d "$work/small.grpc") ;;
    "gRPC unary, 64 KiB message") path=/bench.Bench/Echo args=("${grpc[@]}" -d "$work/64k.grpc") ;;
    "HTTP JSON unary") path=/echo args=(--h1 -d "$work/echo.json" -H 'content-type: application/json') ;;
    "GET with path + query binding") path='/users/7?verbose=true&limit=3&tag=rust' args=(--h1) ;;
    "urlencoded form") path=/signup args=(--h1 -d "$work/form.txt" -H 'content-type: application/x-www-form-urlencoded') ;;
    "gRPC unary with gzip, 4 KiB message")
        path=/bench.Bench/Echo
        args=("${grpc[@]}" -d "$work/4k.gzip.grpc" -H 'grpc-encoding: gzip' -H 'grpc-accept-encoding: gzip')
        ;;
    "HTTP JSON with compressed answers, 4 KiB")
        path=/echo
        args=(--h1 -d "$work/echo_4k.json" -H 'content-type: application/json' -H 'accept-encoding: gzip')
        ;;
    "Connect unary, JSON")
        path=/bench.Bench/Echo
        args=(--h1 -d "$work/connect.json" -H 'content-type: application/json' -H 'connect-protocol-version: 1')
        ;;
    "Connect unary, proto")
        path=/bench.Bench/Echo
        args=(--h1 -d "$work/connect.bin" -H 'content-type: application/proto' -H 'connect-protocol-version: 1')
        ;;
    "GraphQL query round trips")
        path=/graphql args=(--h1 -d "$work/graphql_query.json" -H 'content-type: application/json')
        ;;
    "GraphQL mutation round trips")
        path=/graphql args=(--h1 -d "$work/graphql_mutation.json" -H 'content-type: application/json')
        ;;
    "GraphQL subscription, graphql-transport-ws")
        # One subscription of COUNT ticks (more if it takes less than a second).
        "$bin/bench_client" stream graphql "http://127.0.0.1:$port" --conns 1 --count "$count" --secs 1
        return
        ;;
    "Socket.IO unary round trips" | "Socket.IO round trips, 8 in flight per socket")
        # 16 sockets for a second (the warm-up) or SIO_SECS; bench_client checks every ack.
        local secs=$SIO_SECS in_flight=1
        [ "$count" = 2000 ] && secs=1
        [[ $name == *8* ]] && in_flight=8
        "$bin/bench_client" ws-echo "ws://127.0.0.1:$port/socket.io/?EIO=4&transport=websocket" \
            --socketio --conns 16 --in-flight "$in_flight" --secs "$secs"
        return
        ;;
    esac
    h2load -t 1 -c 8 -n "$count" "${args[@]}" "http://127.0.0.1:$port$path" 2>&1
}

# baseline CASE: the hand-written server of the case, with its arguments.
baseline() {
    case "$1" in
    *gzip* | *compressed*) echo baseline_server --compression ;;
    Connect*) echo connect_server ;;
    *) echo baseline_server ;;
    esac
}

# measure "SERVER [ARGS...]" PORT CASE: prints "instructions allocations" per call.
measure() {
    local command port=$2 name=$3
    read -r -a command <<<"$1"
    local server=${command[0]}
    local out="$work/callgrind.$server"
    rm -f "$out".*
    taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$out.%p" \
        "$bin/$server" "${command[@]:1}" --addr "127.0.0.1:$port" >/dev/null 2>"$work/$server.log" &
    local pid=$!
    for _ in $(seq 200); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.3
    done
    # h2load counts any 200 as a success: a GraphQL answer is checked once, whole.
    case "$name" in
    "GraphQL query round trips" | "GraphQL mutation round trips")
        local kind=${name#GraphQL }
        kind=${kind%% *}
        if ! curl -sS -H 'content-type: application/json' --data-binary "@$work/graphql_$kind.json" \
            "http://127.0.0.1:$port/graphql" | cmp -s - "$work/graphql_$kind.want"; then
            echo "callgrind.sh: $server answers $name wrongly" >&2
            kill "$pid"
            exit 1
        fi
        ;;
    esac
    load "$name" "$port" 2000 >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    local result count=$CALLS
    result=$(load "$name" "$port" "$CALLS")
    if [[ $name == *subscription* || $name == Socket.IO* ]]; then
        # bench_client checked every message; the figure is per message.
        count=$(python3 -c 'import json,sys; r = json.loads(sys.stdin.read()); print(r["ops"] if r["errors"] == 0 else 0)' <<<"$result")
        if [ "${count:-0}" = 0 ]; then
            echo "callgrind.sh: bench_client failed against $server ($name): $result" >&2
            kill "$pid"
            exit 1
        fi
    elif ! grep -q "$CALLS succeeded, 0 failed, 0 errored" <<<"$result" ||
        ! grep -Eq "status codes: $CALLS 2xx" <<<"$result"; then
        echo "callgrind.sh: h2load failed against $server ($name): $result" >&2
        kill "$pid"
        exit 1
    fi
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 1
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    if [ -n "$OUT" ]; then
        mkdir -p "$OUT"
        cp "$out".*.1 "$OUT/$server.${name//[^A-Za-z0-9]/_}.callgrind"
    fi
    python3 - "$count" "$out".*.1 <<'PY'
import re, sys
calls, path = int(sys.argv[1]), sys.argv[2]
names, total, allocs, callee = {}, 0, 0, None
for line in open(path, errors="replace"):
    if line.startswith(("summary:", "totals:")):
        total = max(total, int(line.split()[1]))
    elif line.startswith(("fn=", "cfn=")):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
        if m and m.group(2):
            names[m.group(1)] = m.group(2)
        callee = names.get(m.group(1)) if m and line.startswith("cfn=") else None
    elif line.startswith("calls=") and callee is not None:
        if re.search(r"__rust_(alloc|realloc|alloc_zeroed)$", callee):
            allocs += int(line[6:].split()[0])
        callee = None
print(f"{total / calls:.0f} {allocs / calls:.1f}")
PY
}

printf '%-42s %24s %24s %7s\n' case "protoapi instr / allocs" "baseline instr / allocs" ratio
for name in "gRPC unary, small message" "gRPC unary, 64 KiB message" "HTTP JSON unary" \
    "GET with path + query binding" "urlencoded form" "gRPC unary with gzip, 4 KiB message" \
    "HTTP JSON with compressed answers, 4 KiB" "Connect unary, JSON" "Connect unary, proto" \
    "GraphQL query round trips" "GraphQL mutation round trips" "GraphQL subscription, graphql-transport-ws" \
    "Socket.IO unary round trips" "Socket.IO round trips, 8 in flight per socket"; do
    if [ -n "$ONLY" ] && ! grep -Eq -- "$ONLY" <<<"$name"; then continue; fi
    read -r pi pa < <(measure protoapi_server 9001 "$name")
    read -r bi ba < <(measure "$(baseline "$name")" 9002 "$name")
    printf '%-42s %15s / %6s %15s / %6s %7.3f\n' "$name" "$pi" "$pa" "$bi" "$ba" \
        "$(python3 -c "print($bi / $pi)")"
done
