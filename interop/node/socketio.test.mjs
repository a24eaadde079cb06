// socket.io-client calls the greeter example over Socket.IO, over WebSocket and over HTTP
// long-polling: each method is an event named after the Rust method, and the ack's one
// argument is `{"data": ...}` or `{"error": ...}`. It also reconnects by itself when a greeter
// it started (GREETER_BIN) restarts on the same port.
//
//   GREETER_URL=http://127.0.0.1:8080 GREETER_BIN=target/debug/examples/greeter \
//     node --test socketio.test.mjs

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

const greeterUrl = process.env.GREETER_URL;
if (!greeterUrl) throw new Error("GREETER_URL is not set");
const greeterBin = process.env.GREETER_BIN;
if (!greeterBin) throw new Error("GREETER_BIN is not set");

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

    test("a file goes up and comes back down as binary attachments", async () => {
      const socket = await connect(transports);
      try {
        const data = Buffer.from([0, 255, 1, 2, 110, 111, 100, 101]);
        const name = `node-${transports.join("-")}.bin`;
        assert.deepEqual(
          await socket.timeout(10_000).emitWithAck("upload", {
            testFile: { name, contentType: "application/octet-stream", data },
          }),
          { data: { status: `received ${name} (8 bytes)` } },
        );
        const chunk = new Promise((resolve) => socket.once("download", resolve));
        assert.deepEqual(await socket.timeout(10_000).emitWithAck("download", { name }), {
          end: true,
        });
        const { data: item } = await chunk;
        assert.ok(Buffer.isBuffer(item.data), "the chunk's data is a Buffer");
        assert.deepEqual(item, {
          name,
          contentType: "application/octet-stream",
          size: "8",
          data,
        });
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

/** A loopback port that was free a moment ago. */
async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Starts the greeter on `addr` and resolves with its process once it listens there. */
function startGreeter(addr) {
  const child = spawn(greeterBin, ["--addr", addr], {
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Also when the runner exits without running the test's `finally` (a timeout, an interrupt).
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  child.on("exit", () => process.off("exit", killOnExit));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`greeter did not start on ${addr} within 20 s: ${out}`));
    }, 20_000);
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`greeter exited before listening (code ${code}, signal ${signal}): ${out}`));
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out === `listening on http://${addr}\n`) { clearTimeout(timer); resolve(child); }
    });
  });
}

/** Stops the greeter with `signal` and waits for it to exit, at most 10 s. */
async function stopGreeter(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const [code, received] = await exited;
  clearTimeout(timer);
  assert.equal(received ?? code, signal === "SIGINT" ? 0 : signal, "how the greeter stopped");
}

/** The socket's next `connect`, within `ms`. */
function nextConnect(socket, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect within ${ms / 1000} s`)), ms);
    socket.once("connect", () => { clearTimeout(timer); resolve(socket.id); });
  });
}

// The client's defaults retry after about 1, 2, 4, 5, 5... s: a restart is seen within a few.
const RECONNECT_TIMEOUT_MS = 30_000;

// SIGINT stops the greeter gracefully (it closes every Socket.IO session); SIGKILL is a crash.
for (const signal of ["SIGINT", "SIGKILL"]) {
  test(`socket.io-client reconnects by itself after a ${signal} restart`, { timeout: 90_000 }, async () => {
    const addr = `127.0.0.1:${await freePort()}`;
    let greeter = await startGreeter(addr);
    // The client's defaults: reconnection on, without end, polling then the upgrade to WebSocket.
    const socket = io(`http://${addr}`);
    try {
      const first = await nextConnect(socket, 10_000);
      assert.deepEqual(await socket.timeout(10_000).emitWithAck("say_hello", { name: "世界" }), hello);

      const disconnected = once(socket, "disconnect");
      await stopGreeter(greeter, signal);
      const [reason] = await disconnected;
      assert.equal(reason, "transport close");
      // A call made while the server is away waits in the client's buffer until it reconnects.
      const buffered = socket.timeout(RECONNECT_TIMEOUT_MS).emitWithAck("say_hello", { name: "等待" });
      const reconnected = nextConnect(socket, RECONNECT_TIMEOUT_MS);
      greeter = await startGreeter(addr);
      const second = await reconnected;
      assert.notEqual(second, first, "a reconnection is a new session");
      assert.deepEqual(await buffered, { data: { message: "hello 等待" } });
      assert.deepEqual(await socket.timeout(10_000).emitWithAck("say_hello", { name: "世界" }), hello);
    } finally {
      socket.disconnect();
      await stopGreeter(greeter, "SIGKILL");
    }
  });
}
