// The greeter page's typed client: `say_hello` over the Connect protocol from the browser, with
// the client that `buf generate` and protoc-gen-es make of the greeter's `--proto-out` files.
// greeter-bundle.sh bundles it with esbuild into examples/greeter/connect-es/greeter-connect.js,
// which the page loads as the global `greeterConnect`.

import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

import { Greeter } from "./gen/hello_pb.js";

const client = createClient(
  Greeter,
  createConnectTransport({ baseUrl: window.location.origin }),
);

/** The greeting of `name`, or the error's code and message (`invalid_argument: ...`). */
export async function sayHello(name: string): Promise<string> {
  try {
    const reply = await client.sayHello({ name });
    return reply.message;
  } catch (error) {
    const connectError = ConnectError.from(error);
    throw new Error(`${codeName(connectError.code)}: ${connectError.rawMessage}`);
  }
}

/** A Connect code's name as the JSON error body spells it (`invalid_argument`). */
function codeName(code: number): string {
  const names = [
    "ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found",
    "already_exists", "permission_denied", "resource_exhausted", "failed_precondition",
    "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss",
    "unauthenticated",
  ];
  return names[code] ?? `code ${code}`;
}
