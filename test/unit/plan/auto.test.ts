// What `auto` becomes on 24, 40 and 80 GB cards for the three Qwen2.5 shapes and the two GPU
// presets, and issue 15's goals for the presets: 1.5B `local` ≤ 22 GB on a 24 GB card, 7B `local`
// at 1,024 tokens and 1.5B `paper` on one 80 GB card.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PRESETS } from "../../../src/core/example/presets";
import { GIB } from "../../../src/core/plan/memory";
import { planRun, type Plan, type PlanSettings } from "../../../src/core/plan/plan";
import { refusal } from "../../../src/core/plan/refusal";
import { h200, shape } from "./helpers";

type ShapeName = "qwen2.5-0.5b" | "qwen2.5-1.5b" | "qwen2.5-7b";
const plan = (preset: "local" | "paper", model: ShapeName, gb: number, over: Partial<PlanSettings> = {}): Plan =>
  planRun({ settings: { ...PRESETS[preset], ...over }, shape: shape(model), card: h200(gb), promptTokens: 80 });
const peak = (p: Plan) => p.peak.bytes / GIB;

test("1.5B local on a 24 GB card: the compact state, every rollout at once, a planned peak of at most 22 GB", () => {
  const p = plan("local", "qwen2.5-1.5b", 24);
  assert.equal(p.fits, true);
  assert.ok(p.rows >= 64 && PRESETS.local.rollouts === 8 && PRESETS.local.max_response_tokens === 2048);
  assert.deepEqual(p.resolved, { optimizer_state: "compact", rollout_wave_size: 64, micro_batch_size: 2, checkpoint_layers: 28 });
  assert.ok(peak(p) <= 22, `${peak(p)} GB`);
  assert.match(p.notes.join("\n"), /optimizer_state auto → compact: the fp32 state would not fit 24 GB/);
});

test("auto waves are even: no last wave of a few rows decoding the full length alone", async () => {
  const { balanced } = await import("../../../src/core/plan/plan");
  assert.equal(balanced(64, 59), 32);
  assert.equal(balanced(1024, 402), 342);
  assert.equal(balanced(64, 64), 64);
  assert.equal(balanced(64, 0), 0);
  const p = plan("paper", "qwen2.5-1.5b", 80);
  const waves = Math.ceil(1024 / p.resolved.rollout_wave_size);
  assert.equal(p.resolved.rollout_wave_size, Math.ceil(1024 / waves));
});

test("local keeps the exact fp32 state where it fits: 1.5B on 40 and 80 GB, 0.5B everywhere", () => {
  for (const [model, gb] of [["qwen2.5-1.5b", 40], ["qwen2.5-1.5b", 80], ["qwen2.5-0.5b", 24], ["qwen2.5-0.5b", 40], ["qwen2.5-0.5b", 80]] as const) {
    const p = plan("local", model, gb);
    assert.equal(p.fits, true, `${model} on ${gb} GB`);
    assert.equal(p.resolved.optimizer_state, "fp32", `${model} on ${gb} GB`);
    assert.equal(p.resolved.rollout_wave_size, 64);
    assert.ok(peak(p) <= 0.95 * gb);
  }
});

test("7B local at 1,024 tokens fits 80 GB with the compact state, in waves; 24 and 40 GB refuse it", () => {
  const p = plan("local", "qwen2.5-7b", 80, { max_response_tokens: 1024 });
  assert.equal(p.fits, true);
  assert.equal(p.resolved.optimizer_state, "compact");
  // 9 bytes a parameter are 68.7 GB: what is left holds the KV cache of at most the step's 64 rollouts.
  assert.ok(peak(p) <= 80 && p.resolved.rollout_wave_size <= 64, `${peak(p)} GB, waves of ${p.resolved.rollout_wave_size}`);
  for (const gb of [24, 40]) {
    const q = plan("local", "qwen2.5-7b", gb, { max_response_tokens: 1024 });
    assert.equal(q.fits, false);
    // 9 bytes a parameter alone are 68.7 GB.
    assert.match(refusal(q, "Qwen/Qwen2.5-7B") ?? "", new RegExp(`^Qwen/Qwen2\\.5-7B does not fit in ${gb} GB: the step needs about \\d+(\\.\\d)? GB at its peak \\(training phase\\), and no single setting change fits it`));
  }
});

test("1.5B paper fits one 80 GB card in waves (fp32 state, no layer recomputed), a 40 GB card with smaller waves", () => {
  const p80 = plan("paper", "qwen2.5-1.5b", 80);
  assert.equal(p80.fits, true);
  assert.equal(p80.resolved.optimizer_state, "fp32");
  assert.ok(p80.resolved.rollout_wave_size >= 64 && p80.resolved.rollout_wave_size < 1024, String(p80.resolved.rollout_wave_size));
  assert.ok(peak(p80) <= 0.95 * 80);
  assert.match(p80.notes.join("\n"), new RegExp(`rollout_wave_size auto → ${p80.resolved.rollout_wave_size}: 1,024 rollouts in \\d+ waves`));
  // The engine frees the waves' KV cache before training, so the micro-batches need no recomputation.
  assert.equal(p80.resolved.checkpoint_layers, 0);
  assert.match(p80.notes.join("\n"), /the engine frees the rollouts' KV cache \(4\d\.\d GB\) before training/);
  assert.equal(p80.memory.training.kv_cache, 0);
  const p40 = plan("paper", "qwen2.5-1.5b", 40);
  assert.equal(p40.fits, true);
  assert.ok(p40.resolved.rollout_wave_size < p80.resolved.rollout_wave_size);
  // On the H200 the whole paper step fits at once, and its training recomputes no layer.
  const h = plan("paper", "qwen2.5-1.5b", 139.8);
  assert.equal(h.resolved.rollout_wave_size, 1024);
  assert.equal(h.resolved.checkpoint_layers, 0);
});

test("a fixed optimizer_state or wave size is planned as given, and refused when it does not fit", () => {
  const fp32 = plan("local", "qwen2.5-1.5b", 24, { optimizer_state: "fp32" });
  assert.equal(fp32.fits, false);
  assert.equal(fp32.resolved.optimizer_state, "fp32");
  const wave = plan("local", "qwen2.5-1.5b", 80, { rollout_wave_size: 16 });
  assert.equal(wave.resolved.rollout_wave_size, 16);
  assert.ok(wave.time.rollout_s > plan("local", "qwen2.5-1.5b", 80).time.rollout_s, "four waves decode slower than one");
});

test("gradient_checkpointing false: the plan checkpoints the leading layers the engine will", () => {
  const off = plan("local", "qwen2.5-1.5b", 24, { gradient_checkpointing: false, micro_batch_size: 8 });
  assert.ok(off.resolved.checkpoint_layers > 0 && off.resolved.checkpoint_layers < 28, String(off.resolved.checkpoint_layers));
  assert.match(off.notes.join("\n"), new RegExp(`the engine will checkpoint ${off.resolved.checkpoint_layers} of 28 layers`));
  assert.equal(plan("local", "qwen2.5-1.5b", 80, { gradient_checkpointing: false, micro_batch_size: 8 }).resolved.checkpoint_layers, 0);
});

test("the editor's tooltip: card, summary, what auto chose, and the refusal when there is one", async () => {
  const { planTooltip } = await import("../../../src/core/plan/render");
  const p = plan("local", "qwen2.5-1.5b", 24);
  const lines = planTooltip(p).split("\n");
  assert.match(lines[0], /^Plan on NVIDIA H200: peak (1\d|2[01])\.\d GB of 24 GB \(fits\) · compact optimizer state, all rollouts at once · ~\d+(\.\d)? s\/step$/);
  assert.ok(lines.some((l) => l.startsWith("optimizer_state auto → compact")));
  const refused = plan("paper", "qwen2.5-1.5b", 24, { micro_batch_size: 16, gradient_checkpointing: true });
  const text = planTooltip(refused, refusal(refused, "M"));
  assert.match(text.split("\n").at(-1) ?? "", /^M does not fit in 24 GB/);
  assert.match(text, /\(does not fit\)/);
});
