// The greeter called through the typed Connect-ES client that `buf generate` and
// protoc-gen-es make of its `--proto-out` files (interop/node/run.sh generates them into gen/
// and compiles this file with tsc, which checks every call against the generated types).
//
//   GREETER_URL=http://127.0.0.1:8080 node --test dist/greeter.test.js

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

import { Greeter, type HelloReply } from "./gen/hello_pb.js";

const baseUrl = process.env.GREETER_URL;
if (!baseUrl) throw new Error("GREETER_URL is not set");

const transports = {
  "Connect over HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  gRPC: createGrpcTransport({ baseUrl }),
};

for (const [name, transport] of Object.entries(transports)) {
  describe(`the generated client, ${name}`, () => {
    const client = createClient(Greeter, transport);

    test("say_hello answers the typed reply", async () => {
      const reply: HelloReply = await client.sayHello({ name: "火锅" });
      assert.equal(reply.message, "hello 火锅");
    });

    test("an empty name is invalid_argument", async () => {
      await assert.rejects(client.sayHello({ name: "" }), (error: unknown) => {
        const connectError = ConnectError.from(error);
        assert.equal(connectError.code, Code.InvalidArgument);
        assert.equal(connectError.rawMessage, "name must not be empty");
        return true;
      });
    });
  });
}
