// Node's own WebSocket (Node 20: `--experimental-websocket`) sending a message over the
// student's WebSocket limit (4 MiB) reads the close the server sends, 1009 "message too big",
// every time: the server drains what the client still sends before it closes the connection
// (docs/websocket.md, Limits).
//
//   STUDENT_URL=http://127.0.0.1:8080 node --experimental-websocket --test ws_limit.test.mjs

import assert from "node:assert/strict";
import { test } from "node:test";

const base = process.env.STUDENT_URL;
if (!base) throw new Error("STUDENT_URL is not set");
const url = `${base.replace(/^http/, "ws")}/demo/student/ws`;

/** The close event of a socket that sends `message` once it is open. */
function closeAfterSending(message) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.onopen = () => socket.send(message);
    socket.onerror = () => {};
    socket.onclose = (event) => resolve([event.code, event.reason, event.wasClean]);
  });
}

test("5 MiB sent to /demo/student/ws is closed with 1009, 20 times in 20", async () => {
  const message = "x".repeat(5 << 20);
  const closes = [];
  for (let i = 0; i < 20; i++) closes.push(await closeAfterSending(message));
  assert.deepEqual(closes, Array(20).fill([1009, "message too big", true]));
});
