#!/usr/bin/env bash
# Writes the connectrpc code of bench/connect/bench.proto (the Echo method of the benchmark
# API) into bench/src/bin/connect_server/generated/, as connectrpc-build generates it in a
# build script: checked in, so that building the benchmarks needs neither protoc nor the
# code generator. Needs protoc. Run it again after changing the .proto or the connectrpc
# version in bench/Cargo.toml.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/bench/src/bin/connect_server/generated"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src"
cp "$root/bench/connect/bench.proto" "$work/"
cat >"$work/Cargo.toml" <<'TOML'
[package]
name = "connect-generate"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[build-dependencies]
connectrpc-build = "0.9"
TOML
cat >"$work/build.rs" <<'RUST'
fn main() {
    connectrpc_build::Config::new()
        .files(&["bench.proto"])
        .includes(&["."])
        .gate_client_feature(true)
        .out_dir(std::env::var("GENERATED").expect("GENERATED"))
        .compile()
        .expect("connectrpc-build");
}
RUST
echo 'fn main() {}' >"$work/src/main.rs"
mkdir -p "$work/out"
(cd "$work" && GENERATED="$work/out" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$work/target}" cargo build --quiet)
rm -rf "$out"
mkdir -p "$out"
cp "$work/out"/bench.* "$out/"
ls "$out"
