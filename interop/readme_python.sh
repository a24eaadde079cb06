#!/usr/bin/env bash
# Runs the commands of README.md's "From Python, through the printed `.proto`" block as they are
# written, in a fresh temporary directory (so a fresh venv), against a running greeter. Only
# `cargo run --example greeter --` becomes the built example and 127.0.0.1:8080 the greeter's
# address; the block must print `hello 火锅` and nothing else. Then the stubs of that one file
# upload and download a file (its `File` and `FileChunk` are the server's protoapi messages).
#
#   interop/readme_python.sh GREETER_BINARY GREETER_ADDR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
greeter=$(realpath "$1")
addr=$2

heading='From Python, through the printed `.proto`:'
block=$(awk -v heading="$heading" '
    $0 == heading { found = 1; next }
    found && !inside && /^```sh / { inside = 1; next }
    inside && /^```$/ { exit }
    inside { print }
' "$root/README.md")
if [ -z "$block" ]; then
    echo "README.md has no sh block after: $heading" >&2
    exit 1
fi
for text in 'cargo run --example greeter --' '127.0.0.1:8080'; do
    if [[ $block != *"$text"* ]]; then
        echo "README.md's Python block no longer says $text; update $0" >&2
        exit 1
    fi
done
block=${block//cargo run --example greeter --/$(printf '%q' "$greeter")}
block=${block//127.0.0.1:8080/$addr}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "README.md's Python block, in $work:"
printf '%s\n' "$block" | sed 's/^/    /'
# pip's progress would mix with what the block prints; its errors still reach stderr.
PIP_QUIET=1 PIP_DISABLE_PIP_VERSION_CHECK=1 bash -euo pipefail -c "$block" > out.txt
if ! printf 'hello 火锅\n' | cmp -s - out.txt; then
    echo "README.md's Python block printed:" >&2
    cat out.txt >&2
    echo "expected: hello 火锅" >&2
    exit 1
fi
echo "README.md's Python block printed: hello 火锅"

PYTHONPATH="$work" .venv/bin/python "$root/interop/one_file_client.py" "$addr"
