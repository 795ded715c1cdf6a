// The planner's LoRA arithmetic: frozen base weights in their dtype with no state or gradients,
// fp32 adapters with AdamW state and gradients, no reference copy, no output-embedding gradient;
// and the targets: 1.5B `lora` under 12 GB, 7B LoRA local (1,024 tokens) under 40 GB.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PRESETS } from "../../../src/core/example/presets";
import { GIB, stepMemory, type StepShape } from "../../../src/core/plan/memory";
import { planRun } from "../../../src/core/plan/plan";
import { refusal } from "../../../src/core/plan/refusal";
import { planJson, planText } from "../../../src/core/plan/render";
import { paramCount } from "../../../src/core/plan/shape";
import { h200, shape } from "./helpers";

const s15 = shape("qwen2.5-1.5b");
const N = paramCount(s15);
const A = 28 * 32 * 41_216; // rank 32 on all seven layers of 28 (test/unit/example/lora.test.ts)

test("each phase of a LoRA step, part by part", () => {
  const x: StepShape = { shape: s15, elem: 2, optimizerState: "fp32", reference: true, rows: 64, promptCopies: 8, waveRows: 64, promptTokens: 100, responseTokens: 1000, microBatch: 2, checkpointLayers: 28, triton: true, adapterParams: A };
  const full = stepMemory({ ...x, adapterParams: 0 });
  const m = stepMemory(x);
  assert.equal(m.training.weights, 2 * N); // bf16 base, no master copy
  assert.equal(m.training.adapters, 4 * A);
  assert.equal(m.training.optimizer_state, 8 * A); // AdamW moments of the adapters only
  assert.equal(m.training.reference, 0); // the base with adapters off
  assert.equal(m.training.gradients, 4 * A);
  assert.equal(m.optimizer_step.update, 4 * A);
  assert.equal(m.training.kv_cache, full.training.kv_cache);
  assert.equal(m.training.activations, full.training.activations);
  // No output-embedding gradient: the embedding is frozen.
  assert.equal(m.training.logits, full.training.logits - 151_936 * 1536 * 2);
  assert.equal("adapters" in full.training, false);
});

const promptTokens = 161;

test("the lora preset plans a 1.5B run under 12 GB, where full fine-tuning (local) does not fit", () => {
  const p = planRun({ settings: PRESETS.lora, shape: s15, card: h200(12), promptTokens });
  assert.equal(p.fits, true);
  assert.ok(p.peak.bytes < 12 * GIB && p.peak.bytes > 8 * GIB, `${p.peak.bytes / GIB}`);
  assert.equal(p.adapterParams, A);
  assert.equal(p.resolved.optimizer_state, "fp32");
  assert.ok(p.notes.some((n) => /LoRA adapters train in fp32/.test(n)));
  assert.equal(planRun({ settings: PRESETS.local, shape: s15, card: h200(12), promptTokens }).fits, false);
  const text = planText(p, { model: "m", source: "t" });
  assert.match(text, /LoRA rank 32: 36\.9M adapter parameters train in fp32; the base weights stay frozen in bfloat16/);
  assert.match(text, /LoRA adapters \(fp32\)\s+0\.14 GB/);
  assert.deepEqual(planJson(p, { model: "m", source: "t" }).lora, { rank: 32, adapter_params: A });
  assert.equal(planJson(planRun({ settings: PRESETS.local, shape: s15, card: h200(24), promptTokens }), { model: "m", source: "t" }).lora, undefined);
});

test("7B with LoRA at local's settings and 1,024 response tokens plans under 40 GB; full fine-tuning's refusal points at LoRA", () => {
  const s7 = shape("qwen2.5-7b");
  const settings = { ...PRESETS.local, max_response_tokens: 1024 };
  const lora = planRun({ settings: { ...settings, lora_rank: 32 }, shape: s7, card: h200(40), promptTokens });
  assert.equal(lora.fits, true);
  assert.ok(lora.peak.bytes < 30 * GIB, `${lora.peak.bytes / GIB}`);
  const full = planRun({ settings, shape: s7, card: h200(40), promptTokens });
  assert.equal(full.fits, false);
  assert.match(refusal(full, "Qwen/Qwen2.5-7B") ?? "", /use a card with more memory or a smaller model, or train LoRA adapters instead \(lora_rank 32: about 2\d(\.\d)? GB\)\.$/);
});
