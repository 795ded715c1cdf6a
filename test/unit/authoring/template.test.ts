import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { newExampleTemplate, PROBLEM_PLACEHOLDER, renderExample, slugFor, uniqueExamplePath } from "../../../src/core/authoring/template";

function frontMatter(text: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)---\n/.exec(text);
  assert.ok(m, "no front matter");
  return parse(m[1]);
}

test("a rendered example keeps LaTeX answers intact through YAML quoting", () => {
  const r = renderExample({ problem: "A pipe fills $\\frac{2}{7}$ of a tank per hour.", answer: "\\frac{7}{2}", preset: "cpu-demo" });
  assert.deepEqual(frontMatter(r.text), { answer: "\\frac{7}{2}", verifier: "math", preset: "cpu-demo" });
  assert.equal(r.text.slice(r.problemStart, r.problemEnd), "A pipe fills $\\frac{2}{7}$ of a tank per hour.");
  assert.ok(r.text.endsWith("\n"));
});

test("answers that YAML would read as other types stay strings", () => {
  for (const answer of ["42", "1e5", "true", "null", "'quoted'", "a: b", "#3"]) {
    assert.equal(frontMatter(renderExample({ problem: "P", answer }).text).answer, answer);
  }
});

test("a custom verifier gets a fenced verifier block after the problem", () => {
  const r = renderExample({ problem: "P", answer: "1", verifier: "custom", verifierSource: "export default () => 1;" });
  assert.match(r.text, /\nP\n\n```verifier\nexport default \(\) => 1;\n```\n$/);
  assert.equal(frontMatter(r.text).verifier, "custom");
});

test("the New Example template places the placeholder problem where the cursor goes", () => {
  const r = newExampleTemplate("local");
  assert.equal(r.text.slice(r.problemStart, r.problemEnd), PROBLEM_PLACEHOLDER);
  assert.equal(frontMatter(r.text).preset, "local");
});

test("file names: slug from the problem words, unique with a counter", () => {
  assert.equal(slugFor("A pipe fills $\\frac{2}{7}$ of a tank per hour. How long?"), "a-pipe-fills-of-a-tank-per-hour-how-long");
  assert.equal(slugFor("$$x$$"), "example");
  const taken = new Set(["/d/a.rlvr.md", "/d/a-2.rlvr.md"]);
  assert.equal(uniqueExamplePath("/d", "a", (f) => taken.has(f)), path.join("/d", "a-3.rlvr.md"));
});

test("only the answer is quoted; other values are plain unless YAML needs quotes", () => {
  const r = renderExample({ problem: "P", answer: "7", preset: "local", source: "data.jsonl row 3", title: "yes" });
  assert.match(r.text, /^answer: '7'$/m);
  assert.match(r.text, /^preset: local$/m);
  assert.match(r.text, /^source: data\.jsonl row 3$/m);
  assert.equal(frontMatter(r.text).title, "yes");
});
