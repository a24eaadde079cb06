// The student example's docs page (`GET /docs`, Swagger UI from the `swagger-ui-dist` crate) in
// Debian's Chromium, driven by playwright-core, offline: the page lists every operation of the
// OpenAPI document the server serves, loads nothing from anywhere else, and runs a call with
// "Try it out": adding a student, whose answer the page shows and the server then serves.
//
// Builds the example with cargo (or takes STUDENT_BIN), starts it on a free loopback port, and
// stops it at the end, also when a test fails. CHROMIUM overrides /usr/bin/chromium.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { exampleBinary, launchChromium, startExample } from "./greeter.mjs";

const STEP_TIMEOUT_MS = 10_000;

const binary = process.env.STUDENT_BIN || exampleBinary("student");

describe("the docs page in Chromium", { timeout: 120_000 }, () => {
  let server;
  let browser;
  let page;
  let base;
  const pageErrors = [];
  const elsewhere = [];

  before(async () => {
    server = startExample(binary);
    process.on("exit", () => server.child.kill("SIGKILL"));
    base = await server.url;
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("request", (request) => {
      if (!request.url().startsWith(`${base}/`)) elsewhere.push(request.url());
    });
    await page.route((url) => !url.href.startsWith(`${base}/`), (route) => route.abort());
  });

  after(async () => {
    await browser?.close();
    server?.child.kill("SIGTERM");
  });

  it("lists every operation of the document", async () => {
    const response = await page.goto(`${base}/docs`);
    assert.equal(response.status(), 200);
    assert.equal(await page.title(), "demo.StudentService");
    await page.locator(".opblock").first().waitFor();
    const document = await (await fetch(`${base}/openapi.json`)).json();
    const expected = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const shown = await page.$$eval(".opblock", (blocks) =>
      blocks.map((block) =>
        `${block.querySelector(".opblock-summary-method").textContent} ${block.querySelector(".opblock-summary-path").getAttribute("data-path")}`,
      ),
    );
    assert.deepEqual(shown.toSorted(), expected.toSorted());
    assert.deepEqual(
      shown.toSorted(),
      [
        "DELETE /demo/students/{sno}",
        "GET /demo/students",
        "GET /demo/students/{sno}",
        "POST /demo/students",
        "PUT /demo/students/{sno}",
      ],
    );
  });

  it("runs a call with Try it out", async () => {
    const add = page
      .locator(".opblock-post")
      .filter({ has: page.locator('[data-path="/demo/students"]') });
    await add.locator(".opblock-summary-control").click();
    await add.locator("textarea.body-param__text").fill('{"name": "Ann", "age": 20}');
    const answered = page.waitForResponse(
      (response) => response.url() === `${base}/demo/students` && response.request().method() === "POST",
    );
    await add.locator("button.execute").click();
    const answer = await answered;
    assert.equal(answer.status(), 201);
    const status = add.locator(".live-responses-table td.response-col_status:not(.col_header)");
    assert.equal((await status.textContent()).trim(), "201");
    const shown = JSON.parse(
      await add.locator(".live-responses-table .response-col_description pre").first().textContent(),
    );
    assert.deepEqual(shown, { sno: "1", name: "Ann", age: 20 });
    // The call reached the server: the student is there.
    const stored = await (await fetch(`${base}/demo/students/1`)).json();
    assert.deepEqual(stored, { sno: "1", name: "Ann", age: 20 });
  });

  it("loads nothing from elsewhere and raises no error", () => {
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(pageErrors, []);
  });
});
