// socket.io-client calls the greeter example over Socket.IO, over WebSocket and over HTTP
// long-polling: each method is an event named after the Rust method, and the ack's one
// argument is `{"data": ...}` or `{"error": ...}`.
//
//   GREETER_URL=http://127.0.0.1:8080 node --test socketio.test.mjs

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

const greeterUrl = process.env.GREETER_URL;
if (!greeterUrl) throw new Error("GREETER_URL is not set");

const hello = { data: { message: "hello 世界" } };
const emptyName = {
  error: { code: "invalid_argument", message: "name must not be empty", details: [] },
};

/** A connected socket over the given transports. */
async function connect(transports) {
  const socket = io(greeterUrl, { transports, reconnection: false });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
  describe(`socket.io-client over ${transports.join("+")}`, () => {
    test("say_hello answers in the ack", async () => {
      const socket = await connect(transports);
      try {
        assert.deepEqual(
          await socket.timeout(10_000).emitWithAck("say_hello", { name: "世界" }),
          hello,
        );
      } finally {
        socket.disconnect();
      }
    });

    test("an empty name is the invalid_argument error frame", async () => {
      const socket = await connect(transports);
      try {
        assert.deepEqual(
          await socket.timeout(10_000).emitWithAck("say_hello", { name: "" }),
          emptyName,
        );
      } finally {
        socket.disconnect();
      }
    });

    test("without an ack the answer is the method's event", async () => {
      const socket = await connect(transports);
      try {
        const answer = new Promise((resolve) => socket.once("say_hello", resolve));
        socket.emit("say_hello", { name: "世界" });
        assert.deepEqual(await answer, hello);
      } finally {
        socket.disconnect();
      }
    });
  });
}
