// The greeter's GraphiQL page (`GET /graphql` with `Accept: text/html`) in Debian's Chromium,
// driven by playwright-core. The page is async-graphql's GraphiQL, whose scripts and styles
// come from a CDN (unpkg.com); the tests run without network, so the CDN requests are recorded
// and refused, and what is checked is what holds offline: the page is served with its title,
// it loads exactly those CDN files and nothing else, its fetcher is configured for `/graphql`
// (and the WebSocket for subscriptions at the same path), and the page's own fetch function
// runs a mutation against that endpoint.
//
// Builds the example with cargo (or takes GREETER_BIN), starts it on a free loopback port, and
// stops it at the end, also when a test fails. CHROMIUM overrides /usr/bin/chromium.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { greeterBinary, launchChromium, startGreeter } from "./greeter.mjs";

const STEP_TIMEOUT_MS = 10_000;

// What async-graphql's GraphiQL page loads from its CDN, in the order it asks.
const CDN = [
  "https://unpkg.com/react@18/umd/react.development.js",
  "https://unpkg.com/react-dom@18/umd/react-dom.development.js",
  "https://unpkg.com/graphiql@4/graphiql.min.css",
  "https://unpkg.com/graphiql@4/graphiql.min.js",
];
// The page's icon, which Chromium may or may not ask for.
const ICON = "https://graphql.org/favicon.ico";

const binary = greeterBinary();

describe("GraphiQL page in Chromium, offline", { timeout: 120_000 }, () => {
  let server;
  let browser;
  let page;
  let dir;
  let base;
  let response;
  const pageErrors = [];
  const refused = [];
  const requested = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "graphiql-browser-"));
    server = startGreeter(binary, dir);
    process.on("exit", () => server.child.kill("SIGKILL"));
    base = await server.url;
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        pageErrors.push(message.text());
      }
    });
    page.on("request", (request) => requested.push(request.url()));
    // Anything not from the server is the CDN's: recorded, and refused as offline.
    await page.route(
      (url) => url.origin !== base,
      (route) => {
        refused.push(route.request().url());
        return route.abort("internetdisconnected");
      },
    );
    response = await page.goto(`${base}/graphql`, { timeout: STEP_TIMEOUT_MS });
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      server?.child.kill("SIGKILL");
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves GraphiQL to a browser's GET /graphql", async () => {
    assert.equal(response.status(), 200);
    assert.equal(response.headers()["content-type"], "text/html; charset=utf-8");
    assert.equal(await page.title(), "GraphiQL IDE");
    // GraphiQL's scripts never arrived, so the page stays at its placeholder.
    assert.equal(await page.locator("#graphiql").textContent(), "Loading...");
  });

  it("would load React and GraphiQL from unpkg.com, and nothing else", async () => {
    const links = await page.evaluate(() => [
      ...[...document.scripts].filter((s) => s.src).map((s) => s.src),
      ...[...document.querySelectorAll("link[rel=stylesheet]")].map((l) => l.href),
    ]);
    assert.deepEqual([...links].sort(), [...CDN].sort());
    assert.equal(await page.locator("link[rel=icon]").getAttribute("href"), ICON);
    assert.deepEqual(refused.filter((url) => url !== ICON).sort(), [...CDN].sort());
    assert.deepEqual(
      requested.filter((url) => !CDN.includes(url) && url !== ICON),
      [`${base}/graphql`],
    );
    // Without React the page's own script stops at its first use of it.
    assert.deepEqual(pageErrors, ["ReactDOM is not defined"]);
  });

  it("points its fetcher and its subscriptions at /graphql", async () => {
    const script = await page.evaluate(
      () => [...document.scripts].filter((s) => !s.src).map((s) => s.textContent).join("\n"),
    );
    assert.match(script, /url: createUrl\('\/graphql'\),/);
    assert.match(script, /subscriptionUrl: createUrl\('\/graphql', true\),/);
    // The page's own helpers, defined before the script stopped, turn them into these URLs.
    const urls = await page.evaluate(() => [createUrl("/graphql"), createUrl("/graphql", true)]);
    assert.deepEqual(urls, [`${base}/graphql`, `${base.replace("http://", "ws://")}/graphql`]);
  });

  it("runs a mutation through the page's own fetch", async () => {
    const answer = await page.evaluate(async () => {
      const response = await customFetch(createUrl("/graphql"), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({
          query: "mutation Hello($name: String) { sayHello(name: $name) { message } }",
          variables: { name: "GraphiQL 火锅" },
        }),
      });
      return { status: response.status, body: await response.json() };
    });
    assert.deepEqual(answer, {
      status: 200,
      body: { data: { sayHello: { message: "hello GraphiQL 火锅" } } },
    });
  });
});
