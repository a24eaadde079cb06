// @connectrpc/connect clients call the greeter and student examples over the Connect protocol
// (HTTP/1.1 and HTTP/2, JSON and binary), gRPC-Web and gRPC. The schema is built at run time from
// the FileDescriptorSet that protoc makes of the examples' `--proto-out` files: no generated code.
//
//   GREETER_URL=http://127.0.0.1:8080 STUDENT_URL=http://127.0.0.1:8081 \
//   DESCRIPTORS=all.binpb node --test connect.test.mjs

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import { describe, test } from "node:test";

import { createFileRegistry, fromBinary, toJson } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const greeterUrl = env("GREETER_URL");
const studentUrl = env("STUDENT_URL");
const chatUrl = env("CHAT_URL");
const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, readFileSync(env("DESCRIPTORS"))),
);
const Greeter = registry.getService("hello.Greeter");
const StudentService = registry.getService("demo.StudentService");
assert.ok(Greeter, "hello.Greeter is in the descriptor set");
assert.ok(StudentService, "demo.StudentService is in the descriptor set");
const Student = registry.getMessage("demo.Student");
const Chat = registry.getService("chat.Chat");
assert.ok(Chat, "chat.Chat is in the descriptor set");

// Every transport: its name, how to make it, and the content type of its unary requests.
// The compressing variants send every request in gzip and accept gzip answers.
const transports = [
  [
    "connect json http/1.1",
    (opts) => createConnectTransport({ httpVersion: "1.1", useBinaryFormat: false, ...opts }),
    "application/json",
  ],
  [
    "connect binary http/1.1",
    (opts) => createConnectTransport({ httpVersion: "1.1", useBinaryFormat: true, ...opts }),
    "application/proto",
  ],
  [
    "connect json http/2",
    (opts) => createConnectTransport({ httpVersion: "2", useBinaryFormat: false, ...opts }),
    "application/json",
  ],
  [
    "connect binary http/2",
    (opts) => createConnectTransport({ httpVersion: "2", useBinaryFormat: true, ...opts }),
    "application/proto",
  ],
  [
    "grpc-web binary http/1.1",
    (opts) => createGrpcWebTransport({ httpVersion: "1.1", useBinaryFormat: true, ...opts }),
    "application/grpc-web+proto",
  ],
  [
    "grpc-web binary http/2",
    (opts) => createGrpcWebTransport({ httpVersion: "2", useBinaryFormat: true, ...opts }),
    "application/grpc-web+proto",
  ],
  [
    "grpc binary http/2",
    (opts) => createGrpcTransport({ httpVersion: "2", useBinaryFormat: true, ...opts }),
    "application/grpc+proto",
  ],
];

// 200 000 bytes: four chunks of at most 64 KiB, a multi-byte character split across them.
const content = Buffer.from("星际穿越\n".repeat(200000 / 13 + 1)).subarray(0, 200000);
const CHUNK = 64 * 1024;

// Transport options that record the HTTP method and content type of every request as it goes on
// the wire (an interceptor sees the request before the Connect transport turns a POST into a GET).
function recorder(baseUrl) {
  const seen = [];
  class Agent extends http.Agent {
    addRequest(req, options) {
      seen.push(`${req.method} ${req.getHeader("content-type") ?? "-"}`);
      return super.addRequest(req, options);
    }
  }
  class SessionManager extends Http2SessionManager {
    request(method, path, headers, options) {
      seen.push(`${method} ${headers["content-type"] ?? "-"}`);
      return super.request(method, path, headers, options);
    }
  }
  // HTTP/1.1 transports use the agent, HTTP/2 ones the session manager.
  return { seen, options: { nodeOptions: { agent: new Agent() }, sessionManager: new SessionManager(baseUrl) } };
}

async function rejects(promise, code, rawMessage) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ConnectError, `a ConnectError, not ${error}`);
    assert.equal(Code[error.code], Code[code]);
    assert.equal(error.rawMessage, rawMessage);
    return true;
  });
}

for (const [name, make, contentType] of transports) {
  describe(name, () => {
    const greeter = createClient(Greeter, make({ baseUrl: greeterUrl }));

    test("Greeter.SayHello answers hello {name}", async () => {
      const reply = await greeter.sayHello({ name: "火锅" });
      assert.deepEqual(toJson(registry.getMessage("hello.HelloReply"), reply), {
        message: "hello 火锅",
      });
    });

    test("Greeter.SayHello with an empty name is invalid_argument", async () => {
      await rejects(greeter.sayHello({ name: "" }), Code.InvalidArgument, "name must not be empty");
    });

    const file = `${name.replaceAll(/[^a-z0-9]+/g, "-")}.txt`;

    test("Greeter.Upload stores a protoapi.File under its safe name", async () => {
      const rsp = await greeter.upload({
        testFile: { name: `../${file}`, contentType: "text/plain; charset=utf-8", data: content },
      });
      assert.equal(rsp.status, `received ${file} (200000 bytes)`);
    });

    test("Greeter.Download streams the file back as protoapi.FileChunk", async () => {
      const chunks = [];
      for await (const chunk of greeter.download({ name: file })) chunks.push(chunk);
      assert.deepEqual(
        chunks.map((c) => [c.name, c.contentType, c.size, c.data.length]),
        [
          [file, "application/octet-stream", 200000n, CHUNK],
          ["", "", 0n, CHUNK],
          ["", "", 0n, CHUNK],
          ["", "", 0n, 200000 - 3 * CHUNK],
        ],
      );
      assert.ok(Buffer.concat(chunks.map((c) => c.data)).equals(content), "the same bytes");
    });

    test("Greeter.Download of a missing file is not_found", async () => {
      const stream = greeter.download({ name: "no-such-file.txt" });
      await rejects(
        (async () => {
          for await (const chunk of stream) assert.fail(`unexpected chunk ${chunk.name}`);
        })(),
        Code.NotFound,
        "no file named no-such-file.txt",
      );
    });

    test("StudentService: Add, then Get and All (GET over Connect), Del", async () => {
      const { seen, options } = recorder(studentUrl);
      const students = createClient(
        StudentService,
        make({ baseUrl: studentUrl, useHttpGet: true, ...options }),
      );
      const added = await students.add({ name: `Ann ${name}`, age: 20, male: false });
      assert.ok(added.sno > 0n, "a number was assigned");
      const got = await students.get({ sno: added.sno });
      assert.deepEqual(toJson(Student, got), {
        sno: String(added.sno),
        name: `Ann ${name}`,
        age: 20,
      });
      const page = await students.all({ search: `Ann ${name}` });
      assert.equal(page.total, 1);
      assert.deepEqual(
        page.data.map((s) => toJson(Student, s)),
        [{ sno: String(added.sno), name: `Ann ${name}`, age: 20 }],
      );
      await rejects(
        students.all({ size: 1000 }),
        Code.InvalidArgument,
        "invalid request: size: must be at most 100",
      );
      await students.del({ sno: added.sno });
      await rejects(students.get({ sno: added.sno }), Code.NotFound, `no student ${added.sno}`);
      // Get and All are side-effect free: Connect calls them with GET, the others with POST.
      const post = `POST ${contentType}`;
      const get = name.startsWith("connect") ? "GET -" : post;
      assert.deepEqual(seen, [post, get, get, get, post, get]);
    });
  });
}

// Every kind of method over HTTP/2, where Connect is full duplex, with and without gzip: a
// unary call, the chat room's bidi stream (each event read before the next message is sent), the greeter's
// chunked upload (a client stream) and its download (a server stream).
const gzip = { sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 0 };
const streamTransports = [
  ["connect binary http/2", (opts) => createConnectTransport({ httpVersion: "2", useBinaryFormat: true, ...opts })],
  ["connect json http/2", (opts) => createConnectTransport({ httpVersion: "2", useBinaryFormat: false, ...opts })],
  ["grpc binary http/2", (opts) => createGrpcTransport({ httpVersion: "2", useBinaryFormat: true, ...opts })],
];

// A queue whose items an async iterable yields as they are pushed, ended by `end()`.
function queue() {
  const items = [];
  let wake = null;
  let ended = false;
  return {
    push(item) {
      items.push(item);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift();
        } else if (ended) {
          return;
        } else {
          await new Promise((resolve) => (wake = resolve));
          wake = null;
        }
      }
    },
  };
}

// The next event of `user` in the room.
async function nextOf(events, user) {
  for (;;) {
    const { value, done } = await events.next();
    assert.ok(!done, `the stream ended before an event of ${user}`);
    if (value.user === user) return [Kind[value.kind], value.text];
  }
}
const Kind = { 1: "MESSAGE", 2: "JOINED", 3: "LEFT" };

for (const [name, make] of streamTransports) {
  for (const [variant, extra] of [["", {}], [" gzip", gzip]]) {
    describe(`${name}${variant} streams`, () => {
      test("Greeter.SayHello (unary) with a long name", async () => {
        const greeter = createClient(Greeter, make({ baseUrl: greeterUrl, ...extra }));
        const reply = await greeter.sayHello({ name: "火锅".repeat(1000) });
        assert.equal(reply.message, `hello ${"火锅".repeat(1000)}`);
      });

      test("Chat.Chat (bidi): each event arrives before the next message is sent", async () => {
        const chat = createClient(Chat, make({ baseUrl: chatUrl, ...extra }));
        const user = `ada ${name}${variant}`;
        const requests = queue();
        const events = chat.chat(requests)[Symbol.asyncIterator]();
        requests.push({ user });
        assert.deepEqual(await nextOf(events, user), ["JOINED", ""]);
        requests.push({ text: "火锅 ".repeat(100) });
        assert.deepEqual(await nextOf(events, user), ["MESSAGE", "火锅 ".repeat(100)]);
        requests.end();
        assert.deepEqual(await nextOf(events, user), ["LEFT", ""]);
        const { done } = await events.next();
        assert.ok(done, "the stream ends after LEFT");
      });

      test("Chat.Chat (bidi) without a user is invalid_argument", async () => {
        const chat = createClient(Chat, make({ baseUrl: chatUrl, ...extra }));
        await rejects(
          (async () => {
            async function* requests() {
              yield { text: "hi" };
            }
            for await (const event of chat.chat(requests())) assert.fail(`unexpected ${event.kind}`);
          })(),
          Code.InvalidArgument,
          "the first message names its `user`",
        );
      });

      const binary = !name.includes("json");
      const file = `${name.replaceAll(/[^a-z0-9]+/g, "-")}${variant.trim()}-chunks.txt`;
      test("Greeter.UploadChunks (client stream) stores the pieces, Download sends them back", async (t) => {
        const greeter = createClient(Greeter, make({ baseUrl: greeterUrl, ...extra }));
        async function* pieces() {
          yield { part: { case: "request", value: {} } };
          for (let start = 0; start < content.length; start += 50000) {
            const data = content.subarray(start, start + 50000);
            yield {
              part: {
                case: "file",
                value: start === 0 ? { name: file, contentType: "text/plain", data } : { data },
              },
            };
          }
        }
        if (!binary) {
          // Chunked uploads are served over Connect in protobuf only.
          await rejects(
            greeter.uploadChunks(pieces()),
            Code.Unimplemented,
            "`hello.Greeter/UploadChunks` is a chunked upload, served over Connect in protobuf only: send `application/connect+proto`",
          );
          t.diagnostic("chunked uploads take protobuf over Connect");
          return;
        }
        const rsp = await greeter.uploadChunks(pieces());
        assert.equal(rsp.status, `received ${file} (200000 bytes)`);
        const chunks = [];
        for await (const chunk of greeter.download({ name: file })) chunks.push(chunk);
        assert.ok(Buffer.concat(chunks.map((c) => c.data)).equals(content), "the same bytes");
      });
    });
  }
}
