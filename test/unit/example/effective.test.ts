import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeSettings } from "../../../src/core/example/effective";
import { PRESETS } from "../../../src/core/example/presets";

const merged = (...args: Parameters<typeof mergeSettings>) => {
  const m = mergeSettings(...args);
  assert.ok("settings" in m, JSON.stringify(m.errors));
  return m;
};

test("preset < front matter < --set, each override recorded with where it came from", () => {
  const m = merged({ answer: "4", preset: "paper", steps: 30, lr: 1e-5 }, { sets: ["steps=50"] });
  assert.equal(m.preset, "paper");
  assert.equal(m.settings.steps, 50);
  assert.equal(m.settings.lr, 1e-5);
  assert.equal(m.settings.rollouts, PRESETS.paper.rollouts);
  assert.deepEqual(m.overrides, { steps: "--set", lr: "example" });
});

test("--set fp32_master is refused naming optimizer_state; --set optimizer_state=compact is taken", () => {
  const m = mergeSettings({ answer: "4" }, { sets: ["fp32_master=true"] });
  assert.ok("errors" in m);
  assert.match(m.errors.join("\n"), /--set fp32_master: `fp32_master` was replaced by `optimizer_state`/);
  assert.equal(merged({ answer: "4" }, { sets: ["optimizer_state=compact"] }).settings.optimizer_state, "compact");
  assert.equal(merged({ answer: "4" }, {}).settings.optimizer_state, "auto");
});

test("boxed_only follows the same merge: the preset's, the file's, then --set", () => {
  assert.equal(merged({ answer: "4", preset: "paper" }).settings.boxed_only, true);
  assert.equal(merged({ answer: "4", preset: "paper", boxed_only: false }).settings.boxed_only, false);
  assert.equal(merged({ answer: "4", preset: "paper" }, { sets: ["boxed_only=false"] }).settings.boxed_only, false);
});

test("--preset wins over the file's preset, the default only applies when neither names one", () => {
  assert.equal(merged({ answer: "4", preset: "paper" }, { preset: "cpu-demo", defaultPreset: "local" }).preset, "cpu-demo");
  assert.equal(merged({ answer: "4", preset: "paper" }, { defaultPreset: "cpu-demo" }).preset, "paper");
  assert.equal(merged({ answer: "4" }, { defaultPreset: "cpu-demo" }).preset, "cpu-demo");
  assert.equal(merged({ answer: "4" }).preset, "local");
  assert.deepEqual(mergeSettings({ answer: "4" }, { preset: "fast" }).errors, ["Unknown preset 'fast': valid presets are paper, local, lora, cpu-demo"]);
});

test("models stay as written unless a resolver is given, which learns where each came from", () => {
  assert.equal(merged({ answer: "4", preset: "cpu-demo" }).settings.model, "examples/models/tiny-math");
  const seen: string[] = [];
  merged({ answer: "4", model: "m" }, { sets: ["model=n"] }, (m, from) => (seen.push(`${m}:${from}`), m));
  assert.deepEqual(seen, ["Qwen/Qwen2.5-Math-1.5B:preset", "m:example", "n:--set"]);
});
