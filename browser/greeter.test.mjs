// The greeter example's page (`GET /`, examples/greeter/index.html) in Debian's Chromium,
// driven by playwright-core: say hello and an error over HTTP JSON, over Socket.IO (with the
// socket.io-client build the greeter serves) and with the typed Connect-ES client (the bundle
// the greeter serves), an upload over HTTP, the download of it, and the
// same upload over the WebSocket.
//
// Builds the example with cargo (or takes GREETER_BIN), starts it on a free loopback port, and
// stops it at the end, also when a test fails. CHROMIUM overrides /usr/bin/chromium; SCREENSHOT
// names a PNG file to save the page to once every action has run.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { greeterBinary, launchChromium, root, startGreeter } from "./greeter.mjs";

const STEP_TIMEOUT_MS = 10_000;

// The file chosen in the page: a name and content outside ASCII, held in memory.
const FILE_NAME = "notes 火锅.txt";
const FILE_TEXT = "hello from Chromium\n火锅 🍲\nline three\n";
const FILE_SIZE = Buffer.byteLength(FILE_TEXT);

/** Waits until the action of a click has settled: `#id` has text, or the error box shows. */
async function settled(page, id) {
  await page.waitForFunction(
    (id) => document.getElementById(id).textContent !== "" || !document.getElementById("error").hidden,
    id,
    { timeout: STEP_TIMEOUT_MS },
  );
}

/** The error box's text, or null when it is hidden. */
async function errorText(page) {
  const box = page.locator("#error");
  return (await box.isVisible()) ? await box.textContent() : null;
}

const text = (page, selector) => page.locator(selector).textContent();

/** The Socket.IO packets of an Engine.IO message packet (`4`), as socket.io-client sends them. */
function socketIoPackets(payload) {
  const packets = [];
  // A polling body holds several Engine.IO packets, split by the record separator.
  for (const packet of String(payload).split("\x1e")) {
    if (packet.startsWith("4")) packets.push(packet.slice(1));
  }
  return packets;
}

// Built before any test starts, so that a first build does not count against their timeouts.
const binary = greeterBinary();

describe("greeter page in Chromium", { timeout: 120_000 }, () => {
  let server;
  let browser;
  let page;
  let dir;
  let base;
  const pageErrors = [];
  const requested = [];
  const sockets = [];
  // The Socket.IO packets the page sent, over polling or over the WebSocket.
  const socketIoSent = [];
  // The Connect calls of the typed client: method, content type, protocol version and body.
  const connectCalls = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "greeter-browser-"));
    server = startGreeter(binary, dir);
    // Also when the runner exits without running `after` (a timeout, an interrupt).
    process.on("exit", () => server.child.kill("SIGKILL"));
    base = await server.url;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // Chromium logs every failed request as a console error; the intended 400 is one.
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        pageErrors.push(message.text());
      }
    });
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      requested.push(path);
      if (path === "/socket.io/" && request.method() === "POST") {
        socketIoSent.push(...socketIoPackets(request.postData()));
      }
      if (path === "/hello.Greeter/SayHello") {
        const headers = request.headers();
        connectCalls.push({
          method: request.method(),
          contentType: headers["content-type"],
          protocolVersion: headers["connect-protocol-version"],
          body: request.postData(),
        });
      }
    });
    page.on("websocket", (socket) => {
      sockets.push(socket.url());
      if (new URL(socket.url()).pathname === "/socket.io/") {
        socket.on("framesent", ({ payload }) => socketIoSent.push(...socketIoPackets(payload)));
      }
    });
  });

  after(async () => {
    try {
      if (page && process.env.SCREENSHOT) {
        await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true, timeout: STEP_TIMEOUT_MS });
      }
      await browser?.close();
    } finally {
      server?.child.kill("SIGKILL");
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves the page at GET /", async () => {
    const response = await page.goto(`${base}/`, { timeout: STEP_TIMEOUT_MS });
    assert.equal(response.status(), 200);
    assert.equal(response.headers()["content-type"], "text/html; charset=utf-8");
    assert.equal(await page.title(), "protoapi greeter");
    assert.equal(await errorText(page), null);
    assert.equal(await page.locator("#download").isDisabled(), true);
  });

  it("says hello over HTTP JSON", async () => {
    await page.fill("#name", "Chromium 火锅");
    await page.click("#hello");
    await settled(page, "hello-result");
    assert.equal(await errorText(page), null);
    assert.equal(await text(page, "#hello-result"), "hello Chromium 火锅");
  });

  it("shows the JSON error body of a failed call", async () => {
    await page.fill("#name", "");
    await page.click("#hello");
    await settled(page, "hello-result");
    assert.equal(await errorText(page), "HTTP 400 invalid_argument: name must not be empty");
    assert.equal(await text(page, "#hello-result"), "");
  });

  it("says hello with the typed Connect-ES client", async () => {
    await page.fill("#connect-name", "Ada");
    await page.click("#connect-hello");
    await settled(page, "connect-result");
    assert.equal(await errorText(page), null);
    assert.equal(await text(page, "#connect-result"), "hello Ada");
    // A Connect unary call: JSON POSTed to the gRPC path.
    const call = connectCalls.at(-1);
    assert.deepEqual(call, {
      method: "POST",
      contentType: "application/json",
      protocolVersion: "1",
      body: '{"name":"Ada"}',
    });
  });

  it("shows the Connect error of an empty name", async () => {
    await page.fill("#connect-name", "");
    await page.click("#connect-hello");
    await settled(page, "connect-result");
    assert.equal(await errorText(page), "Connect invalid_argument: name must not be empty");
    assert.equal(await text(page, "#connect-result"), "");
    assert.equal(connectCalls.length, 2);
  });

  it("serves the browser build of socket.io-client", async () => {
    const response = await fetch(`${base}/socket.io.min.js`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
    // The very file of the npm package this directory locks (examples/greeter/socket.io-client).
    const packaged = readFileSync(
      join(root, "browser/node_modules/socket.io-client/dist/socket.io.min.js"),
      "utf8",
    );
    assert.equal(await response.text(), packaged);
  });

  it("says hello over Socket.IO", async () => {
    assert.equal(await text(page, "#sio-state"), "not connected");
    await page.fill("#sio-name", "世界");
    await page.click("#sio-hello");
    await settled(page, "sio-result");
    assert.equal(await errorText(page), null);
    assert.equal(await text(page, "#sio-result"), "hello 世界");
    assert.equal(await text(page, "#sio-frame"), JSON.stringify({ data: { message: "hello 世界" } }));
    // socket.io-client connects over HTTP long-polling, then upgrades to WebSocket.
    await page.waitForFunction(
      () => document.getElementById("sio-state").textContent === "connected over websocket",
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
  });

  it("shows the error frame of an empty name over Socket.IO", async () => {
    await page.fill("#sio-name", "");
    await page.click("#sio-hello");
    await settled(page, "sio-result");
    assert.equal(await errorText(page), "Socket.IO invalid_argument: name must not be empty");
    assert.equal(await text(page, "#sio-result"), "");
    assert.equal(
      await text(page, "#sio-frame"),
      JSON.stringify({ error: { code: "invalid_argument", message: "name must not be empty", details: [] } }),
    );
    // Both calls went to the server as `say_hello` events asking for acks 0 and 1.
    assert.deepEqual(
      socketIoSent.filter((packet) => packet.startsWith("2")),
      ['20["say_hello",{"name":"世界"}]', '21["say_hello",{"name":""}]'],
    );
  });

  it("asks for a file before uploading", async () => {
    await page.click("#upload");
    await settled(page, "upload-result");
    assert.equal(await errorText(page), "choose a file first");
  });

  it("uploads the chosen file with fetch and FormData", async () => {
    await page.setInputFiles("#file", {
      name: FILE_NAME,
      mimeType: "text/plain",
      buffer: Buffer.from(FILE_TEXT),
    });
    await page.click("#upload");
    await settled(page, "upload-result");
    assert.equal(await errorText(page), null);
    assert.equal(await text(page, "#upload-result"), `received ${FILE_NAME} (${FILE_SIZE} bytes)`);
    assert.equal(await text(page, "#upload-name"), FILE_NAME);
    assert.equal(await text(page, "#upload-size"), `${FILE_SIZE} bytes`);
    const link = page.locator("#download-link");
    assert.equal(await link.textContent(), FILE_NAME);
    assert.equal(await link.getAttribute("href"), `/demo/download/${encodeURIComponent(FILE_NAME)}`);
    assert.equal(await page.locator("#download").isEnabled(), true);
  });

  it("downloads the file back with the same content", async () => {
    await page.click("#download");
    await settled(page, "download-result");
    assert.equal(await errorText(page), null);
    assert.equal(await text(page, "#download-result"), `${FILE_SIZE} bytes, application/octet-stream`);
    assert.equal(await text(page, "#download-check"), "same bytes as the uploaded file");
    assert.equal(await text(page, "#download-text"), FILE_TEXT);
  });

  it("uploads the file over the WebSocket and shows the answer frame", async () => {
    await page.click("#ws-upload");
    await settled(page, "ws-result");
    assert.equal(await errorText(page), null);
    const status = `received ${FILE_NAME} (${FILE_SIZE} bytes)`;
    assert.equal(await text(page, "#ws-result"), status);
    assert.equal(await text(page, "#ws-frame"), JSON.stringify({ id: 1, data: { status } }));
  });

  it("logged no script errors and loaded nothing but the page and the API", () => {
    assert.deepEqual(pageErrors, []);
    const download = `/demo/download/${encodeURIComponent(FILE_NAME)}`;
    // Socket.IO's long-polling requests, as many as its timing makes, all go to `/socket.io/`.
    assert.ok(requested.includes("/socket.io/"), `no request to /socket.io/ in ${requested}`);
    assert.deepEqual(requested.filter((path) => path !== "/socket.io/"), [
      "/", "/socket.io.min.js", "/greeter-connect.js", "/hello/greeter/say_hello",
      "/hello/greeter/say_hello", "/hello.Greeter/SayHello", "/hello.Greeter/SayHello",
      "/demo/upload", download,
    ]);
    const ws = base.replace("http://", "ws://");
    assert.equal(sockets.length, 2, `WebSockets: ${sockets}`);
    assert.match(sockets[0], new RegExp(`^${ws}/socket\\.io/\\?EIO=4&transport=websocket&sid=`));
    assert.equal(sockets[1], `${ws}/demo/upload`);
  });
});
