import assert from "node:assert/strict";
import { test } from "node:test";
import { checkJsSyntax } from "../../../src/core/authoring/jsSyntax";

test("valid verifiers, in module or script form, have no problem", () => {
  assert.equal(checkJsSyntax("export default function verify(response, answer) {\n  return response.includes(answer) ? 1 : 0;\n}"), null);
  assert.equal(checkJsSyntax("module.exports = (r, a) => (r === a ? 1 : 0);"), null);
});

test("a syntax error is located at its line and column", () => {
  const p = checkJsSyntax("export default function verify(r) {\n  return r +;\n}");
  assert.deepEqual(p, { line: 1, column: 12, length: 1, message: "Unexpected token ';'" });
});

test("an unexpected end of input points at the last character", () => {
  const p = checkJsSyntax("export default function verify(r) {\n  return 1;\n\n");
  assert.ok(p);
  assert.equal(p.line, 1);
  assert.match(p.message, /end of input/);
});

test("the source is compiled, never run", () => {
  (globalThis as Record<string, unknown>).ran = false;
  assert.equal(checkJsSyntax("globalThis.ran = true; while (true) {}"), null);
  assert.equal((globalThis as Record<string, unknown>).ran, false);
});
