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
