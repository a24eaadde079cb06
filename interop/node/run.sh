#!/usr/bin/env bash
# Third-party clients from npm call the running examples: `buf curl` (schema by gRPC reflection)
# and @connectrpc/connect (schema from protoc's descriptor set), over gRPC, gRPC-Web and Connect;
# socket.io-client over Socket.IO; and the typed Connect-ES client that `buf generate` with
# protoc-gen-es makes of the greeter's files (ts/), also bundled for the greeter's page.
#
#   interop/node/run.sh GREETER_ADDR STUDENT_ADDR CHAT_ADDR PROTO_DIR
#
# GREETER_ADDR, STUDENT_ADDR and CHAT_ADDR are host:port of the running greeter, student and
# chat examples, PROTO_DIR holds their `--proto-out` files. GREETER_BIN (in the environment) is
# the greeter binary, which socketio.test.mjs starts and restarts itself to test reconnection.
# Needs `npm ci` in this directory, and protoc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
greeter_addr=$1 student_addr=$2 chat_addr=$3 proto_dir=$4
: "${GREETER_BIN:?set GREETER_BIN to the greeter example binary}"
# Absolute, since the tests run in this directory.
GREETER_BIN=$(realpath "$GREETER_BIN")

if [ ! -x "$here/node_modules/.bin/buf" ]; then
    echo "run 'npm ci' in $here first" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The schema for the clients that are given one: the greeter's and the student's files, imports
# included, as `.proto` files (for buf) and as protoc's descriptor set.
mkdir -p "$work/proto/protoapi"
for file in hello.proto demo.proto chat.proto protoapi/types.proto; do
    cp "$proto_dir/$file" "$work/proto/$file"
done
protoc --proto_path="$work/proto" --include_imports --descriptor_set_out="$work/all.binpb" \
    hello.proto demo.proto chat.proto

export GREETER_URL="http://$greeter_addr" GREETER_BIN STUDENT_URL="http://$student_addr" CHAT_URL="http://$chat_addr"
export DESCRIPTORS="$work/all.binpb" PROTO_DIR="$work/proto" BUF="$here/node_modules/.bin/buf"
# buf keeps its cache (modules it compiled) out of the home directory.
export BUF_CACHE_DIR="$work/buf-cache"
cd "$here"
node --test --test-reporter=spec buf.test.mjs connect.test.mjs socketio.test.mjs
# Node 20 has its WebSocket behind a flag.
node --experimental-websocket --test --test-reporter=spec ws_limit.test.mjs

# The typed TypeScript client, as docs/protocols.md shows it: `buf generate` with protoc-gen-es
# makes TypeScript of the `--proto-out` files, tsc checks the test's calls against it and
# compiles both, and the test calls the greeter through Connect and gRPC.
rm -rf ts/gen ts/dist
PATH="$here/node_modules/.bin:$PATH" "$BUF" generate "$work/proto" --template ts/buf.gen.yaml --output ts
node_modules/.bin/tsc -p ts/tsconfig.json
node --test --test-reporter=spec ts/dist/greeter.test.js

# The greeter page's bundle of the same client (examples/greeter/connect-es) is what ts/page.ts
# and the greeter's schema make today.
bash greeter-bundle.sh "$GREETER_BIN" --check
