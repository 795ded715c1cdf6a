// The planner's arithmetic for one known shape (Qwen2.5-1.5B), each part worked out by hand here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { activationBytesPerToken, cacheColumns, engineCheckpointLayers, engineTraining, GIB, layerMatmulParams, peakOf, phaseTotal, RELEASE_MIN_FLOPS, stateBytes, stepMemory, type StepShape } from "../../../src/core/plan/memory";
import { kvBytesPerToken, matmulParams, paramCount, shapeFromConfig } from "../../../src/core/plan/shape";
import { shape } from "./helpers";

const s15 = shape("qwen2.5-1.5b");
const N = 1_543_714_304; // the engine's count for this shape (bench/results/train-smoke-2026-12-02-final.json: params)

test("parameter count, KV bytes and the activation constant of Qwen2.5-1.5B", () => {
  assert.equal(paramCount(s15), N);
  assert.equal(matmulParams(s15), N); // tied: the output embedding is the input one
  // 28 layers × (k + v) × 2 KV heads × head dim 128 × 2 bytes
  assert.equal(kvBytesPerToken(s15, 2), 28 * 2 * 2 * 128 * 2);
  // 2 bytes × (3 × 8960 + (12 + 2·2) × 128 + 6 × 1536) = 2 × (26880 + 2048 + 9216)
  assert.equal(activationBytesPerToken(s15, 2), 76_288);
  const s7 = shape("qwen2.5-7b");
  // untied: embedding and lm_head both count; 28 layers of 233,057,792 (+ biases) — Qwen2.5-7B's 7.62 B
  assert.equal(paramCount(s7), 7_615_616_512);
  assert.equal(matmulParams(s7), 7_615_616_512 - 152_064 * 3584);
});

test("config.json mistakes are one sentence naming the key", () => {
  assert.throws(() => shapeFromConfig({ model_type: "gpt2" }, "m/config.json"), /m\/config\.json has model_type "gpt2"; the planner knows qwen2, llama, qwen3/);
  assert.throws(() => shapeFromConfig({ model_type: "llama", hidden_size: 64 }, "c.json"), /c\.json has no positive integer num_attention_heads/);
});

test("each phase of a fp32-state step, part by part", () => {
  const x: StepShape = { shape: s15, elem: 2, optimizerState: "fp32", reference: true, rows: 64, promptCopies: 8, waveRows: 64, promptTokens: 100, responseTokens: 1000, microBatch: 2, checkpointLayers: 0, triton: true };
  const m = stepMemory(x);
  const cols = 1152; // 1,100 rounded up to the runner's 64-column alignment
  assert.equal(cacheColumns(100, 1000), cols);
  const kv = 64 * cols * 28_672;
  assert.deepEqual(stateBytes(2, "fp32"), { weights: 2, state: 12, grads: 4, update: 4 });
  assert.equal(m.rollout.weights, 2 * N);
  assert.equal(m.rollout.optimizer_state, 12 * N); // fp32 master 4 + AdamW moments 8
  assert.equal(m.rollout.reference, 2 * N);
  assert.equal(m.rollout.kv_cache, kv);
  const state = 64 * (151_936 * 4 + cols * (8 + 2)); // noise, tokens out, padding bias
  // + the last position's logits in bf16 and fp32, and the 8 prompts' prefill cache
  assert.equal(m.rollout.decode_buffers, state + 64 * 151_936 * 6 + 8 * 100 * 28_672);
  const tokens = 2 * 1100;
  assert.equal(m.training.gradients, 4 * N);
  assert.equal(m.training.activations, tokens * 28 * 76_288);
  // one Triton chunk: 2,200 rows split evenly under 512 MiB of bf16 logits (1,766 rows) → 1,100 rows; plus the output embedding's grad
  assert.equal(m.training.logits, 1100 * 151_936 * 2 + 151_936 * 1536 * 2);
  assert.equal(m.optimizer_step.update, 4 * N);
  assert.equal(phaseTotal(m.optimizer_step), 2 * N + 12 * N + 2 * N + kv + state + 4 * N + 4 * N);
  const peak = peakOf(m);
  assert.equal(peak.phase, "optimizer_step");
  assert.equal(peak.slack, peak.raw * 0.05 + 0.5 * GIB);
});

test("checkpointed layers keep their input only, and one layer is recomputed", () => {
  const base: StepShape = { shape: s15, elem: 2, optimizerState: "compact", reference: false, rows: 64, promptCopies: 8, waveRows: 64, promptTokens: 64, responseTokens: 2048, microBatch: 4, checkpointLayers: 28, triton: true };
  const tokens = 4 * 2112;
  assert.equal(stepMemory(base).training.activations, tokens * (28 * 1536 * 2) + tokens * 76_288);
  assert.equal(stepMemory({ ...base, checkpointLayers: 10 }).training.activations, tokens * (18 * 76_288 + 10 * 3072) + tokens * 76_288);
  // compact (optim.CompactAdamW): bf16 weights 2, Kahan compensation 2 + int8 first moment with a scale per 256
  // (1 + 4/256) + bf16 second moment 2, bf16 grads 2; chunked update
  assert.equal(stepMemory(base).training.optimizer_state, (5 + 4 / 256) * N);
  assert.equal(stepMemory(base).training.gradients, 2 * N);
  assert.equal(stepMemory(base).optimizer_step.update, 2 ** 24 * 4 * 8);
});

test("the engine's leading-layer rule: none when the micro-batch fits, the fewest that make it fit otherwise", () => {
  const x: StepShape = { shape: s15, elem: 2, optimizerState: "fp32", reference: false, rows: 128, promptCopies: 16, waveRows: 128, promptTokens: 64, responseTokens: 2048, microBatch: 2, checkpointLayers: 0, triton: true };
  assert.equal(engineCheckpointLayers(x, 140 * GIB), 0);
  // On 40 GiB: allocated = 14 N + KV + decode state; reserve = 1 GiB of logits chunks + 4 N + 1 GiB,
  // plus the plan's own slack (5% of the card + 0.5 GiB), which the engine's rule also leaves free.
  const allocated = 14 * N + 128 * 2112 * 28_672 + 128 * (151_936 * 4 + 2112 * 10);
  const budget = 40 * GIB - allocated - (2 ** 30 + 4 * N + GIB) - (0.05 * 40 * GIB + 0.5 * GIB);
  const tokens = 2 * 2112;
  const expected = Math.ceil((tokens * 76_288 * 28 - budget) / (tokens * (76_288 - 3072)));
  assert.ok(expected > 0 && expected < 28);
  assert.equal(engineCheckpointLayers(x, 40 * GIB), expected);
});

test("the engine frees the rollout's KV cache before training when that saves enough recomputation", () => {
  // The paper step on an H200: 1,024 rows of 90 + 3,072 tokens, all decoded at once (87.5 GB of cache).
  const paper: StepShape = { shape: s15, elem: 2, optimizerState: "fp32", reference: true, rows: 1024, promptCopies: 128, waveRows: 1024, promptTokens: 90, responseTokens: 3072, microBatch: 4, checkpointLayers: 0, triton: true };
  assert.ok(engineCheckpointLayers(paper, 141 * GIB) > 10, "beside the cache, many layers are recomputed");
  // With the cache freed there is room to keep each micro-batch's logits too (4 × 3,072 × 151,936 bf16).
  assert.deepEqual(engineTraining(paper, 141 * GIB), { checkpointLayers: 0, releasesKv: true, keepsLogits: true });
  assert.equal(stepMemory({ ...paper, releasesKv: true, keepsLogits: true }).training.logits, 4 * 3072 * 151_936 * 2 + 151_936 * 1536 * 2, "the kept logits and the output embedding's gradient");
  const m = stepMemory({ ...paper, releasesKv: true });
  assert.equal(m.training.kv_cache, 0);
  assert.equal(m.training.decode_buffers, 0);
  assert.equal(m.optimizer_step.kv_cache, 0);
  assert.ok(m.rollout.kv_cache > 87 * GIB, "the rollout still holds it");
  // 24 layers (1,536 x (1,536 + 2 x 256 + 1,536 + 3 x 8,960) weights each) over 64 x 2,112 tokens: ~3e14 FLOPs,
  // less than new graphs cost: the cache stays and the layers are recomputed.
  const local: StepShape = { ...paper, optimizerState: "compact", reference: false, rows: 64, promptCopies: 8, waveRows: 64, promptTokens: 64, responseTokens: 2048, microBatch: 16 };
  const held = engineCheckpointLayers(local, 24 * GIB);
  assert.ok(held > 0);
  assert.ok(2 * layerMatmulParams(s15) * 64 * 2112 * held < RELEASE_MIN_FLOPS);
  assert.deepEqual(engineTraining(local, 24 * GIB), { checkpointLayers: held, releasesKv: false, keepsLogits: false });
  assert.equal(layerMatmulParams(s15), 1536 * (1536 + 2 * 256 + 1536 + 3 * 8960));
});
