#!/usr/bin/env python3
"""The compile-cost benchmark's generator and report (python3 standard library only).

`gen.py generate OUT --protoapi PATH --lock PATH [--methods N]` writes a throwaway Cargo
workspace in OUT with two crates that serve one API of N unary methods and 2N messages:

- `api-protoapi`: the API as a `#[protoapi::service]` trait and `#[protoapi::message]` structs,
  some methods with HTTP routes, the rest on protoapi's default POST routes;
- `api-tonic`: the same API as a `.proto` file compiled by `tonic-prost-build` in `build.rs`.

Each crate implements its server trait with methods that answer default replies and has one
function that puts the server where it would be served (`protoapi::ServerBuilder::add`,
`tonic::service::Routes::new`), so that the generic server code is compiled in the crate as
it is in a real program.

`gen.py report TIMES PASSES` reads the timings written by run.sh and prints a table on stderr and
one JSON line per figure on stdout.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import sys

# The fields of every request: (name, rust type, proto type).
REQUEST_FIELDS = [
    ("id", "u64", "uint64"),
    ("name", "String", "string"),
    ("enabled", "bool", "bool"),
    ("tags", "Vec<String>", "repeated string"),
    ("count", "i32", "int32"),
]
# The fields of every reply.
REPLY_FIELDS = [
    ("id", "u64", "uint64"),
    ("message", "String", "string"),
    ("ok", "bool", "bool"),
    ("items", "Vec<String>", "repeated string"),
    ("code", "i32", "int32"),
]


def n(i):
    return f"{i:02d}"


def request_fields(i):
    """The fields of request i: every third request also holds the previous method's reply."""
    fields = list(REQUEST_FIELDS)
    if i % 3 == 1:
        fields.append(("parent", f"Option<M{n(i - 1)}Reply>", f"M{n(i - 1)}Reply"))
    return fields


def reply_fields(i):
    """The fields of reply i: every fourth reply also echoes its request."""
    fields = list(REPLY_FIELDS)
    if i % 4 == 2:
        fields.append(("request", f"Option<M{n(i)}Request>", f"M{n(i)}Request"))
    return fields


def route(i):
    """The HTTP attribute of method i, as a user would write it; None for the default route."""
    k = i % 10
    if k == 0:
        return f'#[protoapi(get = "/m{n(i)}/:id")]'
    if k == 4:
        return f'#[protoapi(put = "/m{n(i)}/:id")]'
    if k == 7:
        return f'#[protoapi(post = "/m{n(i)}", status = 201)]'
    if k == 8:
        return f'#[protoapi(delete = "/m{n(i)}/:id")]'
    return None


def protoapi_lib(methods):
    out = [
        "//! The generated benchmark API through protoapi.",
        "",
        "use protoapi::Status;",
        "",
    ]
    for i in range(methods):
        for kind, fields in (("Request", request_fields(i)), ("Reply", reply_fields(i))):
            out.append(f"/// The {kind.lower()} of method {i}.")
            out.append("#[protoapi::message]")
            out.append(f"pub struct M{n(i)}{kind} {{")
            for name, rust, _ in fields:
                out.append(f"    pub {name}: {rust},")
            out.append("}")
            out.append("")
    out.append("/// The benchmark API.")
    out.append('#[protoapi::service(package = "bench.compile")]')
    out.append("pub trait Api {")
    for i in range(methods):
        out.append(f"    /// Method {i}.")
        attr = route(i)
        if attr:
            out.append(f"    {attr}")
        out.append(
            f"    async fn m{n(i)}(&self, req: M{n(i)}Request) -> Result<M{n(i)}Reply, Status>;"
        )
    out.append("}")
    out.append("")
    out.append("/// The implementation: default replies.")
    out.append("pub struct Impl;")
    out.append("")
    out.append("impl Api for Impl {")
    for i in range(methods):
        out.append(
            f"    async fn m{n(i)}(&self, _req: M{n(i)}Request) -> Result<M{n(i)}Reply, Status> {{"
        )
        out.append(f"        Ok(M{n(i)}Reply::default())")
        out.append("    }")
    out.append("}")
    out.append("")
    out.append("/// The server as a program would serve it.")
    out.append("pub fn server() -> protoapi::ServerBuilder {")
    out.append("    protoapi::Server::builder().add(ApiServer::new(Impl))")
    out.append("}")
    return "\n".join(out) + "\n"


def proto_file(methods):
    out = ['syntax = "proto3";', "", "package bench.compile;", ""]
    for i in range(methods):
        for kind, fields in (("Request", request_fields(i)), ("Reply", reply_fields(i))):
            out.append(f"// The {kind.lower()} of method {i}.")
            out.append(f"message M{n(i)}{kind} {{")
            for tag, (name, _, proto) in enumerate(fields, start=1):
                out.append(f"  {proto} {name} = {tag};")
            out.append("}")
            out.append("")
    out.append("// The benchmark API.")
    out.append("service Api {")
    for i in range(methods):
        out.append(f"  // Method {i}.")
        out.append(f"  rpc M{n(i)}(M{n(i)}Request) returns (M{n(i)}Reply);")
    out.append("}")
    return "\n".join(out) + "\n"


def tonic_lib(methods):
    out = [
        "//! The generated benchmark API through tonic-prost-build.",
        "",
        "use tonic::{Request, Response, Status};",
        "",
        'tonic::include_proto!("bench.compile");',
        "",
        "/// The implementation: default replies.",
        "pub struct Impl;",
        "",
        # tonic 0.14's generated server traits are `#[async_trait]` traits.
        "#[tonic::async_trait]",
        "impl api_server::Api for Impl {",
    ]
    for i in range(methods):
        out.append(f"    async fn m{n(i)}(")
        out.append("        &self,")
        out.append(f"        _request: Request<M{n(i)}Request>,")
        out.append(f"    ) -> Result<Response<M{n(i)}Reply>, Status> {{")
        out.append(f"        Ok(Response::new(M{n(i)}Reply::default()))")
        out.append("    }")
    out.append("}")
    out.append("")
    out.append("/// The server as a program would serve it.")
    out.append("pub fn routes() -> tonic::service::Routes {")
    out.append("    tonic::service::Routes::new(api_server::ApiServer::new(Impl))")
    out.append("}")
    return "\n".join(out) + "\n"


TONIC_BUILD_RS = """\
fn main() -> Result<(), Box<dyn std::error::Error>> {
    tonic_prost_build::configure().compile_protos(&["proto/api.proto"], &["proto"])?;
    Ok(())
}
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Unchanged files keep their modification time, so that cargo does not rebuild them.
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generate(args):
    out = os.path.abspath(args.out)
    protoapi = os.path.abspath(args.protoapi)
    methods = args.methods
    write(
        os.path.join(out, "Cargo.toml"),
        "# Generated by bench/compile/gen.py: a throwaway workspace.\n"
        "[workspace]\n"
        'members = ["api-protoapi", "api-tonic"]\n'
        'resolver = "3"\n',
    )
    lock = os.path.join(out, "Cargo.lock")
    if args.lock and not os.path.exists(lock):
        # The versions of protoapi's own lock file; cargo adds what is missing.
        shutil.copyfile(args.lock, lock)
    write(
        os.path.join(out, "api-protoapi", "Cargo.toml"),
        "[package]\n"
        'name = "api-protoapi"\n'
        'version = "0.1.0"\n'
        'edition = "2024"\n'
        "publish = false\n"
        "\n"
        "[dependencies]\n"
        f"protoapi = {{ path = {json.dumps(protoapi)} }}\n",
    )
    write(os.path.join(out, "api-protoapi", "src", "lib.rs"), protoapi_lib(methods))
    write(
        os.path.join(out, "api-tonic", "Cargo.toml"),
        "[package]\n"
        'name = "api-tonic"\n'
        'version = "0.1.0"\n'
        'edition = "2024"\n'
        "publish = false\n"
        "\n"
        "[dependencies]\n"
        "# The features protoapi asks of tonic.\n"
        'tonic = { version = "0.14", default-features = false, '
        'features = ["codegen", "channel", "server", "router"] }\n'
        'tonic-prost = "0.14"\n'
        'prost = "0.14"\n'
        "\n"
        "[build-dependencies]\n"
        'tonic-prost-build = "0.14"\n',
    )
    write(os.path.join(out, "api-tonic", "build.rs"), TONIC_BUILD_RS)
    write(os.path.join(out, "api-tonic", "proto", "api.proto"), proto_file(methods))
    write(os.path.join(out, "api-tonic", "src", "lib.rs"), tonic_lib(methods))
    print(out)


# ---- report ----

PASS_RE = re.compile(r"^time:\s+([0-9.]+);.*\s(\S+)\s*$")


def expansion_seconds(path, pass_name):
    """The time of `pass_name` in a `-Z time-passes` log (the sum if it shows more than once)."""
    total, found = 0.0, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = PASS_RE.match(line.strip())
            if m and m.group(2) == pass_name:
                total += float(m.group(1))
                found = True
    return total if found else None


def report(args):
    # TIMES: lines `<command> <crate> <seconds>`.
    times = {}
    with open(args.times, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                times.setdefault((parts[0], parts[1]), []).append(float(parts[2]))
    rows = []
    what = f"{args.methods}-method service"
    for command in ("build", "check"):
        a = times.get((command, "api-protoapi"), [])
        b = times.get((command, "api-tonic"), [])
        if a and b:
            rows.append((f"compile: cargo {command}, {what}", statistics.median(a),
                         statistics.median(b), a, b))
    # PASSES: lines `<crate> <log file>`.
    expand = {}
    with open(args.passes, encoding="utf-8") as f:
        for line in f:
            parts = line.split(maxsplit=1)
            if len(parts) == 2:
                value = expansion_seconds(parts[1].strip(), args.pass_name)
                if value is not None:
                    expand.setdefault(parts[0], []).append(value)
    a, b = expand.get("api-protoapi", []), expand.get("api-tonic", [])
    if a and b:
        rows.append((f"compile: macro expansion, {what}", statistics.median(a),
                     statistics.median(b), a, b))
    else:
        print(f"no `{args.pass_name}` pass in the -Z time-passes logs", file=sys.stderr)

    err = sys.stderr
    print("", file=err)
    print(f"{'figure':<44} {'protoapi':>9} {'tonic':>9} {'tonic/protoapi':>15}  rounds",
          file=err)
    for name, pa, tb, a_all, b_all in rows:
        ratio = tb / pa if pa else float("nan")
        rounds = " ".join(f"{x:.2f}/{y:.2f}" for x, y in zip(a_all, b_all))
        print(f"{name:<44} {pa:>8.2f}s {tb:>8.2f}s {ratio:>15.2f}  {rounds}", file=err)
    print(f"(median of each; expansion is rustc's `{args.pass_name}` pass of the API crate)",
          file=err)
    for name, pa, tb, _, _ in rows:
        print(json.dumps({
            "name": name,
            "protoapi": round(pa, 3),
            "baseline": round(tb, 3),
            "unit": "s",
            "ratio": round(tb / pa, 2) if pa else None,
        }, separators=(",", ":")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write the throwaway workspace")
    g.add_argument("out")
    g.add_argument("--protoapi", required=True, help="the protoapi crate's directory")
    g.add_argument("--lock", help="a Cargo.lock to start from")
    g.add_argument("--methods", type=int, default=50)
    g.set_defaults(func=generate)
    r = sub.add_parser("report", help="print the table and the JSON lines")
    r.add_argument("times")
    r.add_argument("passes")
    r.add_argument("--methods", type=int, default=50)
    r.add_argument("--pass-name", default="expand_crate")
    r.set_defaults(func=report)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
