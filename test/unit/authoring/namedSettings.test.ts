import assert from "node:assert/strict";
import { test } from "node:test";
import { namedSettings } from "../../../src/core/authoring/namedSettings";
import { diagnoseExample, mergeSettings, readExampleText } from "../../../src/core/example";

const named = (text: string) => {
  const src = readExampleText(text);
  return namedSettings(src, diagnoseExample(src, "x.rlvr.md"));
};
const effective = (fm: Record<string, unknown>) => {
  const m = mergeSettings(fm);
  assert.ok("settings" in m);
  return { preset: m.preset, model: m.settings.model };
};

test("a typo in another key keeps the file's own preset and model (not the defaults) and flags the errors", () => {
  const n = named("---\nanswer: '4'\npreset: cpu-demo\nmodel: my/model\nstesp: 50\n---\nWhat is 2+2?\n");
  assert.equal(n.hasErrors, true);
  assert.equal(n.unreadable, false);
  assert.deepEqual(effective(n.frontMatter), { preset: "cpu-demo", model: "my/model" });
  const presetOnly = named("---\nanswer: '4'\npreset: cpu-demo\nsteps: many\n---\nWhat is 2+2?\n");
  assert.deepEqual(effective(presetOnly.frontMatter), { preset: "cpu-demo", model: "examples/models/tiny-math" });
});

test("a preset that names no preset is reported as written; broken YAML is unreadable", () => {
  const n = named("---\nanswer: '4'\npreset: cpu-dem\n---\nWhat is 2+2?\n");
  assert.equal(n.badPreset, "cpu-dem");
  assert.deepEqual(n.frontMatter, {});
  assert.equal(named("---\n- just\n- a list\n---\nq\n").unreadable, true);
});

test("a valid file gives its whole front matter, without errors", () => {
  const n = named("---\nanswer: '4'\npreset: paper\nsteps: 3\n---\nWhat is 2+2?\n");
  assert.deepEqual(n, { frontMatter: { answer: "4", preset: "paper", steps: 3 }, hasErrors: false, unreadable: false });
});

test("a closed verifier block under `verifier: math` is an ignored block the quick fix can switch to custom", async () => {
  const { ignoredBlockKind } = await import("../../../src/core/authoring/verifierKindFix");
  const block = "\n```verifier\nexport default () => 1\n```\n";
  assert.equal(ignoredBlockKind(readExampleText(`---\nanswer: '4'\nverifier: math\n---\nq${block}`)), "math");
  assert.equal(ignoredBlockKind(readExampleText(`---\nanswer: '4'\nverifier: custom\n---\nq${block}`)), undefined);
  assert.equal(ignoredBlockKind(readExampleText(`---\nanswer: '4'\n---\nq${block}`)), undefined);
  assert.equal(ignoredBlockKind(readExampleText(`---\nanswer: '4'\nverifier: math\n---\nq\n`)), undefined);
});
