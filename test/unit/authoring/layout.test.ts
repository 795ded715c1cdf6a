import assert from "node:assert/strict";
import { test } from "node:test";
import { setFrontMatterKey } from "../../../src/core/authoring/frontMatterEdit";
import { exampleLayout, inFrontMatter, inVerifierBlock, verifierSource } from "../../../src/core/authoring/layout";

const text = [
  "---",
  "answer: '\\frac{7}{2}'   # the reference",
  "verifier: custom",
  "preset: local",
  "tags:",
  "  - rate",
  "---",
  "",
  "A pipe fills a tank.",
  "",
  "```verifier",
  "export default (r, a) => 1;",
  "```",
  "",
].join("\n");

test("front matter, key lines with value spans, problem line and verifier block are located", () => {
  const l = exampleLayout(text);
  assert.deepEqual(l.frontMatter, { open: 0, close: 6 });
  assert.deepEqual(
    l.keys.map((k) => [k.key, k.line]),
    [
      ["answer", 1],
      ["verifier", 2],
      ["preset", 3],
      ["tags", 4],
    ],
  );
  const answer = l.keys[0];
  assert.equal(text.split("\n")[1].slice(answer.valueStart, answer.valueEnd), "'\\frac{7}{2}'");
  assert.equal(l.problemLine, 8);
  assert.deepEqual(l.verifierBlock, { open: 10, close: 12, firstLine: 11, lastLine: 11 });
  assert.equal(verifierSource(text, l), "export default (r, a) => 1;");
  assert.ok(inFrontMatter(l, 3) && !inFrontMatter(l, 6) && !inFrontMatter(l, 0));
  assert.ok(inVerifierBlock(l, 11) && !inVerifierBlock(l, 10));
});

test("an unclosed front matter or verifier block runs to the end of the file", () => {
  const l = exampleLayout("---\nanswer: 1\n\n```verifier\nx\n");
  assert.deepEqual(l.frontMatter, { open: 0, close: undefined });
  assert.equal(l.verifierBlock, undefined);
  const b = exampleLayout("---\nanswer: 1\n---\nP\n```verifier\nline\n");
  assert.deepEqual(b.verifierBlock, { open: 4, close: undefined, firstLine: 5, lastLine: 5 });
});

const apply = (t: string, e: ReturnType<typeof setFrontMatterKey>) => {
  const lines = t.split("\n");
  const before = lines.slice(0, e.startLine).join("\n") + (e.startLine ? "\n" : "") + lines[e.startLine].slice(0, e.startColumn);
  const after = lines[e.endLine].slice(e.endColumn) + "\n" + lines.slice(e.endLine + 1).join("\n");
  return before + e.text + after;
};

test("setting a key replaces its value in place and keeps the comment", () => {
  const out = apply(text, setFrontMatterKey(text, "answer", "\\frac{9}{2}"));
  assert.equal(out.split("\n")[1], "answer: \\frac{9}{2}   # the reference");
  const preset = apply(text, setFrontMatterKey(text, "preset", "cpu-demo"));
  assert.equal(preset.split("\n")[3], "preset: cpu-demo");
});

test("setting a missing key adds it before the closing delimiter; values YAML would misread are quoted", () => {
  const out = apply(text, setFrontMatterKey(text, "model", "Qwen/Qwen2.5-Math-1.5B"));
  assert.equal(out.split("\n")[6], "model: Qwen/Qwen2.5-Math-1.5B");
  assert.equal(out.split("\n")[7], "---");
  const odd = apply(text, setFrontMatterKey(text, "model", "true"));
  assert.equal(odd.split("\n")[6], 'model: "true"');
});

test("a file without front matter gets one", () => {
  const e = setFrontMatterKey("Just a problem.\n", "preset", "local");
  assert.deepEqual(e, { startLine: 0, startColumn: 0, endLine: 0, endColumn: 0, text: "---\npreset: local\n---\n" });
});
