import assert from "node:assert/strict";
import { test } from "node:test";
import { blockSource, inFrontMatter, inVerifierBlock, readExampleText } from "../../../src/core/example/document";
import { setFrontMatterKey } from "../../../src/core/example/edit";
import { parseExample } from "../../../src/core/example/parse";

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

test("front matter, key lines with value ranges and the verifier block are located", () => {
  const l = readExampleText(text);
  assert.deepEqual(l.frontMatter, { open: 0, close: 6 });
  assert.deepEqual(
    l.keys.map((k) => [k.key, k.line, k.keyStart, k.keyEnd]),
    [
      ["answer", 1, 0, 6],
      ["verifier", 2, 0, 8],
      ["preset", 3, 0, 6],
      ["tags", 4, 0, 4],
    ],
  );
  const answer = l.keys[0];
  assert.deepEqual([answer.valueStart, answer.valueEnd], [{ line: 1, column: 8 }, { line: 1, column: 21 }]);
  assert.equal(text.split("\n")[1].slice(answer.valueStart.column, answer.valueEnd.column), "'\\frac{7}{2}'");
  assert.equal(l.bodyStart, 7);
  assert.deepEqual(l.verifierBlock, { open: 10, close: 12, firstLine: 11, lastLine: 11, fence: "```" });
  assert.equal(blockSource(l, l.verifierBlock!), "export default (r, a) => 1;");
  assert.ok(inFrontMatter(l, 3) && !inFrontMatter(l, 6) && !inFrontMatter(l, 0));
  assert.ok(inVerifierBlock(l, 11) && !inVerifierBlock(l, 10));
});

test("an unclosed front matter or verifier block runs to the end of the file", () => {
  const l = readExampleText("---\nanswer: 1\n\n```verifier\nx\n");
  assert.deepEqual(l.frontMatter, { open: 0, close: undefined });
  assert.deepEqual(l.keys.map((k) => k.key), ["answer"]);
  assert.equal(l.verifierBlock, undefined);
  const b = readExampleText("---\nanswer: 1\n---\nP\n```verifier\nline\n");
  assert.deepEqual(b.verifierBlock, { open: 4, close: undefined, firstLine: 5, lastLine: 5, fence: "```" });
});

test("a key being typed does not hide the key on the next line", () => {
  const l = readExampleText("---\nanswer: 1\nste\npreset: local\n---\nQ\n");
  const preset = l.keys.find((k) => k.key === "preset");
  assert.deepEqual(preset && [preset.line, preset.keyStart, preset.keyEnd], [3, 0, 6]);
});

test("the parser and the editor read one model: a byte-order mark or a tab after the delimiter changes neither", () => {
  for (const t of ["\uFEFF---\nanswer: 4\npreset: local\n---\nQ\n", "---\t\nanswer: 4\npreset: local\n---\nQ\n"]) {
    assert.deepEqual(parseExample(t, "f").diagnostics, []);
    assert.deepEqual(readExampleText(t).keys.map((k) => [k.key, k.line]), [["answer", 1], ["preset", 2]]);
  }
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

test("setting a key written in quotes, with a block value or with no value leaves valid YAML with that value", () => {
  const cases: [string, string][] = [
    ['---\nanswer: 4\n"preset": local\n---\nQ\n', '---\nanswer: 4\n"preset": cpu-demo\n---\nQ\n'],
    ["---\nanswer: 4\npreset: >-\n  local\n---\nQ\n", "---\nanswer: 4\npreset: cpu-demo\n---\nQ\n"],
    ["---\nanswer: 4\npreset:   # pick one\n---\nQ\n", "---\nanswer: 4\npreset:   cpu-demo # pick one\n---\nQ\n"],
  ];
  for (const [before, expected] of cases) {
    const out = apply(before, setFrontMatterKey(before, "preset", "cpu-demo"));
    assert.equal(out, expected);
    assert.equal(parseExample(out, "f").example?.frontMatter.preset, "cpu-demo");
  }
});

test("the front matter's YAML reads as it would on its own, with positions in the file", () => {
  const [d] = parseExample("---\n%YAML 1.2\nanswer: 4\n---\nQ\n", "f").diagnostics;
  assert.deepEqual([d.line, d.column], [3, 1]);
  assert.match(d.message, /^Invalid YAML in the front matter: Missing directives-end/);
});
