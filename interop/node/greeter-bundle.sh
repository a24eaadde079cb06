#!/usr/bin/env bash
# The greeter page's typed Connect-ES client (examples/greeter/connect-es/greeter-connect.js),
# made from the greeter's own `--proto-out` files: `buf generate` with protoc-gen-es, tsc checks
# ts/page.ts against the generated types, esbuild bundles it with @connectrpc/connect-web.
#
#   interop/node/greeter-bundle.sh GREETER_BIN           # writes the bundle
#   interop/node/greeter-bundle.sh GREETER_BIN --check   # fails if the committed one differs
#
# Needs `npm ci` in this directory. CI runs --check, so a change to the greeter's schema or to
# page.ts that is not bundled again fails it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
greeter_bin=$(realpath "$1")
mode=${2:-write}
bundle="$here/../../examples/greeter/connect-es/greeter-connect.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$greeter_bin" --proto-out "$work/proto" > /dev/null
mkdir -p "$work/ts"
cp "$here/ts/page.ts" "$here/ts/tsconfig.json" "$here/ts/tsconfig.page.json" "$here/ts/buf.gen.yaml" "$work/ts/"
cd "$here"
BUF_CACHE_DIR="$work/buf-cache" PATH="$here/node_modules/.bin:$PATH" \
    node_modules/.bin/buf generate "$work/proto" \
    --template "$work/ts/buf.gen.yaml" --output "$work/ts"
# The generated files import @bufbuild/protobuf: resolved from this directory's node_modules.
ln -s "$here/node_modules" "$work/ts/node_modules"
node_modules/.bin/tsc -p "$work/ts/tsconfig.page.json"
node_modules/.bin/esbuild "$work/ts/page.ts" --bundle --format=iife --global-name=greeterConnect \
    --target=es2020 --minify --legal-comments=eof --outfile="$work/greeter-connect.js" --log-level=warning
case "$mode" in
write)
    cp "$work/greeter-connect.js" "$bundle"
    echo "wrote $bundle"
    ;;
--check)
    if ! cmp -s "$work/greeter-connect.js" "$bundle"; then
        echo "examples/greeter/connect-es/greeter-connect.js is not what ts/page.ts and the" >&2
        echo "greeter's schema make: run interop/node/greeter-bundle.sh target/debug/examples/greeter" >&2
        exit 1
    fi
    echo "the greeter page's Connect-ES bundle matches its sources"
    ;;
*)
    echo "unknown mode $mode (use --check)" >&2
    exit 1
    ;;
esac
