// `buf curl` calls the greeter example over gRPC, gRPC-Web and Connect. It finds the schema by
// server reflection, which it asks for in the protocol of the call (reflection is a bidi stream,
// which the server also serves over Connect), or is given the schema: the example's
// `--proto-out` files, or protoc's descriptor set of them.
//
//   BUF=node_modules/.bin/buf GREETER_URL=http://127.0.0.1:8080 PROTO_DIR=proto \
//   DESCRIPTORS=all.binpb node --test buf.test.mjs

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const bufBin = env("BUF");
const greeterUrl = env("GREETER_URL");
const descriptors = env("DESCRIPTORS");
const protoDir = env("PROTO_DIR");

function buf(...args) {
  const run = spawnSync(bufBin, ["curl", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30000,
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

// buf curl prints each response message as indented JSON, one after the other.
function messages(stdout) {
  return stdout
    .split(/(?<=^\})\n(?=\{)/m)
    .filter((text) => text.trim() !== "")
    .map((text) => JSON.parse(text));
}

// buf curl prints an RPC error on stderr, and exits with its code shifted three bits left.
function error(code, message) {
  return `{\n   "code": "${code}",\n   "message": "${message}"\n}\n`;
}

const scratch = mkdtempSync(join(tmpdir(), "buf-curl-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// 100 000 bytes: two chunks, 64 KiB and the rest.
const content = Buffer.from("星际穿越\n".repeat(100000 / 13 + 1)).subarray(0, 100000);

const protocols = [
  // name, buf curl flags, the request content type, the HTTP version
  ["grpc", ["--protocol", "grpc", "--reflect"], "application/grpc", "HTTP/2.0"],
  ["grpcweb", ["--protocol", "grpcweb", "--reflect"], "application/grpc-web+proto", "HTTP/2.0"],
  [
    "grpcweb http/1.1",
    ["--protocol", "grpcweb", "--schema", descriptors],
    "application/grpc-web+proto",
    "HTTP/1.1",
  ],
  // buf curl's default: Connect, over h2c once it asks for reflection.
  ["connect --reflect", ["--reflect"], "application/proto", "HTTP/2.0"],
  // buf compiles the `.proto` files of a directory itself.
  ["connect", ["--protocol", "connect", "--schema", protoDir], "application/proto", "HTTP/1.1"],
  [
    "connect http/2",
    ["--protocol", "connect", "--http2-prior-knowledge", "--schema", descriptors],
    "application/proto",
    "HTTP/2.0",
  ],
];

for (const [name, flags, contentType, httpVersion] of protocols) {
  describe(`buf curl ${flags.join(" ")}`, () => {
    test("SayHello answers hello {name}", () => {
      const run = buf(...flags, "-v", "-d", '{"name": "火锅"}', `${greeterUrl}/hello.Greeter/SayHello`);
      assert.equal(run.stdout, '{\n  "message": "hello 火锅"\n}\n', run.stderr);
      assert.equal(run.status, 0);
      // The call went in the protocol and HTTP version asked for.
      assert.match(run.stderr, /> \(#\d+\) POST \/hello\.Greeter\/SayHello\n/);
      assert.ok(
        run.stderr.includes(`Content-Type: ${contentType}\n`),
        `no Content-Type: ${contentType} in\n${run.stderr}`,
      );
      assert.ok(run.stderr.includes(`< (#`) && run.stderr.includes(`${httpVersion} 200 OK`));
    });

    test("SayHello with an empty name is invalid_argument", () => {
      const run = buf(...flags, "-d", '{"name": ""}', `${greeterUrl}/hello.Greeter/SayHello`);
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, error("invalid_argument", "name must not be empty"));
      assert.equal(run.status, 3 << 3);
    });

    const file = `buf-${name.replaceAll(/[^a-z0-9]+/g, "-")}.txt`;

    test("Upload, then the Download stream of FileChunks", () => {
      // The request is too long for a command-line argument: `-d @file`.
      const request = join(scratch, `${file}.json`);
      writeFileSync(
        request,
        JSON.stringify({
          testFile: { name: `../${file}`, contentType: "text/plain", data: content.toString("base64") },
        }),
      );
      const upload = buf(...flags, "-d", `@${request}`, `${greeterUrl}/hello.Greeter/Upload`);
      assert.equal(upload.stdout, `{\n  "status": "received ${file} (100000 bytes)"\n}\n`, upload.stderr);
      assert.equal(upload.status, 0);

      const download = buf(...flags, "-d", JSON.stringify({ name: file }), `${greeterUrl}/hello.Greeter/Download`);
      assert.equal(download.status, 0, download.stderr);
      assert.deepEqual(messages(download.stdout), [
        {
          name: file,
          contentType: "application/octet-stream",
          size: "100000",
          data: content.subarray(0, 65536).toString("base64"),
        },
        { data: content.subarray(65536).toString("base64") },
      ]);
    });

    test("Download of a missing file is not_found", () => {
      const run = buf(...flags, "-d", '{"name": "nope.txt"}', `${greeterUrl}/hello.Greeter/Download`);
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, error("not_found", "no file named nope.txt"));
      assert.equal(run.status, 5 << 3);
    });
  });
}

describe("buf curl lists by reflection", () => {
  for (const protocol of ["grpc", "grpcweb", "connect"]) {
    test(`--list-services --protocol ${protocol}`, () => {
      const run = buf("--protocol", protocol, "--reflect", "--list-services", greeterUrl);
      assert.equal(
        run.stdout,
        [
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "hello.Greeter",
          "",
        ].join("\n"),
        run.stderr,
      );
      assert.equal(run.status, 0);
    });

    test(`--list-methods --protocol ${protocol}`, () => {
      const run = buf("--protocol", protocol, "--reflect", "--list-methods", greeterUrl);
      assert.equal(
        run.stdout,
        [
          "grpc.health.v1.Health/Check",
          "grpc.health.v1.Health/Watch",
          "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
          "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
          "hello.Greeter/Download",
          "hello.Greeter/SayHello",
          "hello.Greeter/Upload",
          "hello.Greeter/UploadChunks",
          "",
        ].join("\n"),
        run.stderr,
      );
      assert.equal(run.status, 0);
    });

    test(`--reflect-protocol grpc-v1alpha --protocol ${protocol}`, () => {
      const run = buf(
        "--protocol",
        protocol,
        "--reflect",
        "--reflect-protocol",
        "grpc-v1alpha",
        "-d",
        '{"name": "v1alpha"}',
        `${greeterUrl}/hello.Greeter/SayHello`,
      );
      assert.equal(run.stdout, '{\n  "message": "hello v1alpha"\n}\n', run.stderr);
      assert.equal(run.status, 0);
    });
  }

  test("the default protocol (Connect) with --reflect, as buf's docs show it", () => {
    const run = buf("--reflect", "-d", '{"name":"x"}', `${greeterUrl}/hello.Greeter/SayHello`);
    assert.equal(run.stdout, '{\n  "message": "hello x"\n}\n', run.stderr);
    assert.equal(run.status, 0);
  });
});
