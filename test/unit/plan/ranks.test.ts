// The plan of one engine process among several (torchrun, FSDP2; engine/oneshot_engine/sharded.py):
// the full weights for decoding on every process, the fp32 weights, gradients and moments divided
// among them, and each process's share of the rollouts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PRESETS } from "../../../src/core/example/presets";
import { paramCount } from "../../../src/core/plan/index";
import { planRun, type Plan } from "../../../src/core/plan/plan";
import { planJson } from "../../../src/core/plan/render";
import { h200, shape } from "./helpers";

const plan = (ranks: number | undefined, over = {}, gb = 80): Plan =>
  planRun({ settings: { ...PRESETS.paper, ...over }, shape: shape("qwen2.5-1.5b"), card: h200(gb), promptTokens: 80, ...(ranks ? { ranks } : {}) });

test("8 processes: 16/8 bytes of sharded state a parameter beside the full bf16 weights, 128 of the 1,024 rollouts each", () => {
  const one = plan(undefined, { optimizer_state: "fp32" });
  const eight = plan(8);
  const n = paramCount(shape("qwen2.5-1.5b"));
  const t1 = one.memory.training;
  const t8 = eight.memory.training;
  assert.equal(t8.weights, t1.weights, "every process decodes with the full weights");
  assert.equal(t8.optimizer_state, (n * 12) / 8);
  assert.equal(t8.gradients, (n * 4) / 8);
  assert.equal(eight.memory.optimizer_step.update, (n * 4) / 8);
  assert.equal(eight.rows, 128);
  assert.equal(eight.resolved.rollout_wave_size, 128);
  assert.ok(eight.peak.bytes < one.peak.bytes);
  assert.ok(eight.time.total_s < one.time.total_s / 4, "each process generates and trains an eighth");
  assert.equal(planJson(eight, { model: "m", source: "s" }).ranks, 8);
  assert.equal(planJson(one, { model: "m", source: "s" }).ranks, undefined, "a one-process plan's JSON is as before");
});

test("the compact state and fp32 weights shard a training copy of their own; auto decides per process", () => {
  const n = paramCount(shape("qwen2.5-1.5b"));
  const compact = plan(2, { optimizer_state: "compact" });
  assert.equal(compact.memory.training.weights, n * 2);
  assert.equal(compact.memory.training.optimizer_state, (n * (2 + 5 + 4 / 256)) / 2, "the bf16 shard beside the compensation and moments");
  assert.equal(compact.memory.training.gradients, (n * 2) / 2);
  const fp32 = plan(4, { dtype: "float32" });
  assert.equal(fp32.memory.training.weights, n * 4);
  assert.equal(fp32.memory.training.optimizer_state, (n * (8 + 4)) / 4);
  // On 32 GB one process needs the compact state; sharded over 2 the fp32 state fits.
  assert.equal(plan(undefined, {}, 32).resolved.optimizer_state, "compact");
  assert.equal(plan(2, {}, 32).resolved.optimizer_state, "fp32");
  // A process's rows: its share of each prompt copy's rollouts, rounded up.
  assert.equal(plan(3).rows, 128 * 3);
});
