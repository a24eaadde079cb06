// Validates AsyncAPI documents with @asyncapi/parser (the AsyncAPI initiative's own parser and
// its rules): exits 1 when any document has a diagnostic of severity error, and prints every
// diagnostic.
//
//   node asyncapi.mjs FILE...

import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let failed = 0;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  for (const diagnostic of diagnostics) {
    const where = diagnostic.path.join(".");
    console.log(`${file}: ${DiagnosticSeverity[diagnostic.severity]} ${diagnostic.code} at ${where}: ${diagnostic.message}`);
  }
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  if (errors.length > 0 || !document) {
    failed += 1;
    console.log(`${file}: not a valid AsyncAPI document`);
  } else {
    console.log(`${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.operations().length} operations`);
  }
}
console.log(`${process.argv.length - 2 - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
