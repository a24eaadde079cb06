// The examples for the browser tests: built with cargo (the greeter: or GREETER_BIN), started
// on a free loopback port.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

/** The repository's root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The greeter binary: GREETER_BIN, or what `cargo build --example greeter` reports. */
export function greeterBinary() {
  return process.env.GREETER_BIN || exampleBinary("greeter");
}

/** The binary of an example, as `cargo build --example NAME` reports it. */
export function exampleBinary(name) {
  const build = spawnSync(
    "cargo",
    ["build", "--quiet", "--example", name, "--message-format=json"],
    { cwd: root, encoding: "utf8", timeout: 15 * 60_000, stdio: ["ignore", "pipe", "inherit"] },
  );
  if (build.error) throw build.error;
  assert.equal(build.status, 0, `cargo build --example ${name} failed`);
  for (const line of build.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line);
    if (message.reason === "compiler-artifact" && message.target?.name === name && message.executable) {
      return message.executable;
    }
  }
  throw new Error(`cargo did not report the ${name} executable`);
}

/** Starts the greeter on 127.0.0.1:0 and resolves with its URL from the `listening on` line. */
export function startGreeter(binary, dir) {
  return startExample(binary, ["--dir", dir]);
}

/** Starts an example on 127.0.0.1:0 with `args`; `url` resolves with its URL from the
 *  `listening on` line. */
export function startExample(binary, args = []) {
  const child = spawn(binary, ["--addr", "127.0.0.1:0", ...args], {
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${binary} did not start within 20 s: ${out}`)), 20_000);
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited before listening (code ${code}, signal ${signal}): ${out}`));
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
      if (line) { clearTimeout(timer); resolve(line[1]); }
    });
  });
  return { child, url };
}

/** Debian's Chromium (CHROMIUM overrides /usr/bin/chromium), headless, with a fresh profile and
 *  none of the background connections that this machine's closed network would refuse. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    timeout: 30_000,
  });
}
