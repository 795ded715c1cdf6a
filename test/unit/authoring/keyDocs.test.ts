import assert from "node:assert/strict";
import { test } from "node:test";
import { keyDocMarkdown, keyDocs, typeText } from "../../../src/core/authoring/keyDocs";

const schema = {
  required: ["answer"],
  properties: {
    answer: { description: "Reference answer.", type: ["string", "number"] },
    preset: { description: "Base settings.", enum: ["paper", "local"] },
    steps: { description: "Optimizer steps.", type: "integer", minimum: 1 },
    lr: { description: "Learning rate.", type: "number", exclusiveMinimum: 0, maximum: 1 },
    gradient_checkpointing: { description: "Recompute layers.", type: "boolean" },
    adam_betas: { description: "Betas.", type: "array", items: { type: "number" }, minItems: 2, maxItems: 2 },
  },
};
const presets = {
  paper: { steps: 2000, lr: 1e-6, gradient_checkpointing: false, adam_betas: [0.9, 0.999] },
  local: { steps: 500, lr: 1e-6, gradient_checkpointing: false, adam_betas: [0.9, 0.999] },
};

test("every schema key gets a doc with its type, values and per-preset defaults", () => {
  const docs = Object.fromEntries(keyDocs(schema, presets).map((d) => [d.key, d]));
  assert.deepEqual(Object.keys(docs), Object.keys(schema.properties));
  assert.equal(docs.answer.required, true);
  assert.equal(docs.answer.defaults, undefined);
  assert.deepEqual(docs.preset.values, ["paper", "local"]);
  assert.deepEqual(docs.gradient_checkpointing.values, ["true", "false"]);
  assert.deepEqual(docs.steps.defaults, { paper: "2000", local: "500" });
  assert.equal(docs.lr.typeText, "number > 0, ≤ 1");
  assert.equal(docs.adam_betas.typeText, "list of 2 number");
});

test("the markdown shows the meaning and marks the file's preset", () => {
  const steps = keyDocs(schema, presets).find((d) => d.key === "steps")!;
  const md = keyDocMarkdown(steps, "local");
  assert.match(md, /\*\*steps\*\* — integer ≥ 1/);
  assert.match(md, /Optimizer steps\./);
  assert.match(md, /\| `local` \| `500` ← this file's preset \|/);
  assert.match(md, /\| `paper` \| `2000` \|/);
});

test("typeText of enums and nullable types", () => {
  assert.equal(typeText({ enum: ["a", "b"] }), "one of: a, b");
  assert.equal(typeText({ type: ["integer", "null"], minimum: 1 }), "integer or null ≥ 1");
  assert.equal(typeText({ anyOf: [{ const: "auto" }, { type: "integer", minimum: 1, maximum: 16384 }] }), "auto or integer ≥ 1, ≤ 16384");
});
