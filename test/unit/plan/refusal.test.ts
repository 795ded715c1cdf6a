// A plan that cannot fit is refused in one sentence naming the largest settings that would fit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PRESETS } from "../../../src/core/example/presets";
import { planRun, type PlanSettings } from "../../../src/core/plan/plan";
import { fittingChanges, refusal } from "../../../src/core/plan/refusal";
import { h200, shape } from "./helpers";

// The paper's recipe as verl ran it (micro-batches of 16, every layer checkpointed), which 24 GB cannot hold.
const VERL = { micro_batch_size: 16, gradient_checkpointing: true };
const paper24 = (over: Partial<PlanSettings> = {}) => planRun({ settings: { ...PRESETS.paper, ...VERL, ...over }, shape: shape("qwen2.5-1.5b"), card: h200(24), promptTokens: 80 });

test("paper (verl's micro-batches) on 24 GB is refused, naming the largest response length, copies and micro-batch that fit", () => {
  const p = paper24();
  assert.equal(p.fits, false);
  const sentence = refusal(p, "Qwen/Qwen2.5-Math-1.5B") ?? "";
  assert.match(sentence, /^Qwen\/Qwen2\.5-Math-1\.5B does not fit in 24 GB: the step needs about 2\d(\.\d)? GB at its peak \(training phase\); .+ would fit in 24 GB\.$/);
  assert.equal(sentence.split("\n").length, 1);
  const changes = fittingChanges(p);
  const tokens = Number(/max_response_tokens ([\d,]+)/.exec(changes.join(" "))?.[1].replace(/,/g, ""));
  const micro = Number(/micro_batch_size (\d+)/.exec(changes.join(" "))?.[1]);
  assert.ok(sentence.includes(`micro_batch_size ${micro}`), sentence);
  // Each named value fits, and the next step up does not: it is the largest.
  assert.equal(paper24({ max_response_tokens: tokens }).fits, true);
  assert.equal(paper24({ max_response_tokens: tokens + 128 }).fits, false);
  assert.equal(paper24({ micro_batch_size: micro }).fits, true);
  assert.equal(paper24({ micro_batch_size: micro + 1 }).fits, false);
});

test("a fixed fp32 state that does not fit names optimizer_state compact first", () => {
  const p = planRun({ settings: { ...PRESETS.local, optimizer_state: "fp32" }, shape: shape("qwen2.5-1.5b"), card: h200(24), promptTokens: 80 });
  assert.match(refusal(p, "m") ?? "", /^m does not fit in 24 GB: the step needs about 3\d(\.\d)? GB at its peak \(optimizer step phase\); optimizer_state compact would fit in 24 GB\.$/);
});

test("a plan that fits has no refusal", () => {
  assert.equal(refusal(paper24({ max_response_tokens: 1024 }), "m"), undefined);
});
