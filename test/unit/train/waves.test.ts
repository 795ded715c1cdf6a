import assert from "node:assert/strict";
import { test } from "node:test";
import { outOfMemoryHint } from "../../../src/core/engine/errors";
import { stepPeak } from "../../../src/core/train/stepMemory";
import { resolveWaveRows, waveParams } from "../../../src/core/train/waves";

test("rollout_wave_size: auto is all rows at once (no field sent), an integer passes through", () => {
  assert.equal(resolveWaveRows({ rollout_wave_size: "auto" }), null);
  assert.equal(resolveWaveRows({ rollout_wave_size: 256 }), 256);
  assert.deepEqual(waveParams(null), {});
  assert.deepEqual(waveParams(256), { rollout_wave_size: 256 });
});

test("a step's peak memory is the larger of generation's and training's, with generation's beside it", () => {
  assert.deepEqual(stepPeak(30.5, 41), { peak_mem_gb: 41, rollout_peak_mem_gb: 30.5 });
  assert.deepEqual(stepPeak(50, 41), { peak_mem_gb: 50, rollout_peak_mem_gb: 50 });
  assert.deepEqual(stepPeak(undefined, 41), { peak_mem_gb: 41 });
  assert.deepEqual(stepPeak(0, 0), {});
});

test("an out-of-memory hint names the setting to lower for the phase that ran out and `oneshot plan` with the example", () => {
  assert.match(outOfMemoryHint("generate", "a.rlvr.md"), /^Generating rollouts ran out of memory: lower rollout_wave_size .*`oneshot plan a\.rlvr\.md`/);
  assert.match(outOfMemoryHint("train_step", "a.rlvr.md"), /lower micro_batch_size or turn on gradient_checkpointing/);
  assert.match(outOfMemoryHint("load", "a.rlvr.md"), /set kl_coef to 0/);
  assert.match(outOfMemoryHint(undefined), /^Lower prompt_copies, rollouts, max_response_tokens or micro_batch_size\. `oneshot plan EXAMPLE`/);
  assert.match(outOfMemoryHint("constructor"), /^Lower prompt_copies/); // an unknown phase is not a key lookup gone wrong
});

test("rollout_wave_size auto with the run's plan: the plan's wave for training, the same cache's worth of rows for evaluation", () => {
  const plan = { resolved: { optimizer_state: "fp32" as const, rollout_wave_size: 342, micro_batch_size: 16, checkpoint_layers: 28 }, rollouts: 1024, prompt_tokens: 80, max_response_tokens: 3072 };
  assert.equal(resolveWaveRows({ rollout_wave_size: "auto" }, plan), 342);
  assert.equal(resolveWaveRows({ rollout_wave_size: 100 }, plan), 100, "a given wave size wins");
  assert.equal(resolveWaveRows({ rollout_wave_size: "auto" }, { ...plan, resolved: { ...plan.resolved, rollout_wave_size: 1024 } }), null, "all rows at once: no field");
  // 342 waves × 3,200 columns of cache; an evaluation batch of 1,000-token prompts and 3,072-token answers has 4,096 columns a row.
  assert.equal(resolveWaveRows({ rollout_wave_size: "auto" }, plan, { rows: 512, promptTokens: 1000, max_response_tokens: 3072 }), Math.floor((342 * 3200) / 4096));
  assert.equal(resolveWaveRows({ rollout_wave_size: "auto" }, plan, { rows: 64, promptTokens: 1000, max_response_tokens: 3072 }), null, "a batch that fits goes at once");
});
