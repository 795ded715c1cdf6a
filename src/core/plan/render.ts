// A plan as text (oneshot plan, the editor's hover) and as JSON (oneshot plan --json; its shape is
// documented in docs/training.md and read by bench/memory.py, so keys are only ever added).
import { fmtGb } from "./gpu";
import { GIB, phaseTotal, type Phase } from "./memory";
import type { PlanJson } from "./json";
import type { Plan } from "./plan";

export type { PlanJson } from "./json";

const gb = (bytes: number) => Math.round((bytes / GIB) * 100) / 100;
const n = (v: number) => v.toLocaleString("en-US");

export interface PlanLabels {
  model: string;
  source: string;
  refusal?: string;
}

export function planJson(plan: Plan, l: PlanLabels): PlanJson {
  const phases: PlanJson["phases"] = {};
  for (const [name, parts] of Object.entries(plan.memory) as [string, Phase][]) {
    phases[name] = Object.fromEntries([...Object.entries(parts).map(([k, v]) => [k, gb(v)]), ["total", gb(phaseTotal(parts))]]);
  }
  const c = plan.input.card;
  const t = plan.time;
  const s = (v: number) => Math.round(v * 10) / 10;
  return {
    version: 1,
    model: { name: l.model, source: l.source, params: plan.params },
    ...(plan.adapterParams ? { lora: { rank: plan.input.settings.lora_rank ?? 0, adapter_params: plan.adapterParams } } : {}),
    card: { name: c.name, memory_gb: Math.round(c.memoryGb * 100) / 100, memory_source: c.memorySource, kind: c.kind, known_rates: c.knownRates },
    rollouts: plan.rows,
    prompt_tokens: plan.input.promptTokens,
    max_response_tokens: plan.input.settings.max_response_tokens,
    resolved: plan.resolved,
    phases,
    slack_gb: gb(plan.peak.slack),
    peak_gb: gb(plan.peak.bytes),
    peak_phase: plan.peak.phase,
    fits: plan.fits,
    step_time_s: s(t.total_s),
    step_time: { rollout_s: s(t.rollout_s), training_s: s(t.training_s), optimizer_s: s(t.optimizer_s) },
    notes: plan.notes,
    refusal: l.refusal ?? null,
    // Several processes: the memory and `rollouts` above are one process's.
    ...((plan.input.ranks ?? 1) > 1 ? { ranks: plan.input.ranks } : {}),
  };
}

const LABELS: Record<string, string> = {
  weights: "weights",
  adapters: "LoRA adapters (fp32)",
  optimizer_state: "optimizer state",
  reference: "reference model",
  kv_cache: "KV cache (one wave)",
  decode_buffers: "decode buffers, logits",
  gradients: "gradients",
  activations: "activations (one micro-batch)",
  logits: "log-prob logits, output grad",
  update: "optimizer update",
};

/** One line: "peak 19.3 GB of 24 GB (fits) · compact state, waves of 64 · ~41 s/step". */
export function planSummary(plan: Plan): string {
  const r = plan.resolved;
  const verdict = plan.fits ? "fits" : "does not fit";
  const waves = r.rollout_wave_size >= plan.rows ? "all rollouts at once" : `waves of ${n(r.rollout_wave_size)}`;
  return `peak ${fmtGb(plan.peak.bytes / GIB)} of ${fmtGb(plan.input.card.memoryGb)} (${verdict}) · ${r.optimizer_state} optimizer state, ${waves} · ~${formatSeconds(plan.time.total_s)}/step`;
}

/** The plan in a few lines for the editor's preset lens: the card, the summary, what auto chose, the refusal. */
export function planTooltip(plan: Plan, refusal?: string): string {
  return [`Plan on ${plan.input.card.name}: ${planSummary(plan)}`, ...plan.notes, ...(refusal ? [refusal] : [])].join("\n");
}

export function formatSeconds(s: number): string {
  if (s < 120) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

const count = (v: number) => (v >= 1e9 ? `${(v / 1e9).toFixed(2)}B` : `${(v / 1e6).toFixed(1)}M`);

export function planText(plan: Plan, l: PlanLabels): string {
  const c = plan.input.card;
  const r = plan.resolved;
  const s = plan.input.settings;
  const lines = [
    `Plan for ${l.model} (${count(plan.params)} parameters; shape from ${l.source})`,
    ...(plan.adapterParams ? [`LoRA rank ${s.lora_rank ?? 0}: ${count(plan.adapterParams)} adapter parameters train in fp32; the base weights stay frozen in ${s.dtype}`] : []),
    `on ${c.name}: ${fmtGb(c.memoryGb)} (${c.memorySource})`,
    `${n(s.prompt_copies * s.rollouts)} rollouts (${n(s.prompt_copies)} copies × ${n(s.rollouts)}) × up to ${n(s.max_response_tokens)} tokens, prompt ≈ ${n(plan.input.promptTokens)} tokens`,
    ...((plan.input.ranks ?? 1) > 1 ? [`${plan.input.ranks} processes (FSDP2), one GPU each: the memory below is one process's, with ${n(plan.rows)} of the rollouts`] : []),
    "",
    `  optimizer_state     ${r.optimizer_state}`,
    `  rollout_wave_size   ${n(r.rollout_wave_size)}${r.rollout_wave_size >= plan.rows ? " (all at once)" : ` (${Math.ceil(plan.rows / r.rollout_wave_size)} waves)`}`,
    `  micro_batch_size    ${n(r.micro_batch_size)}`,
    `  checkpointed layers ${r.checkpoint_layers} of ${plan.input.shape.layers}`,
    "",
  ];
  const phaseNames: Record<string, string> = { rollout: "Rollout phase", training: "Training phase", optimizer_step: "Optimizer step" };
  for (const [name, parts] of Object.entries(plan.memory) as [string, Phase][]) {
    lines.push(`${phaseNames[name] ?? name}: ${fmtGb(phaseTotal(parts) / GIB)}`);
    for (const [k, v] of Object.entries(parts)) if (v >= 0.005 * GIB) lines.push(`  ${(LABELS[k] ?? k).padEnd(30)} ${(v / GIB).toFixed(2).padStart(7)} GB`);
  }
  lines.push(
    `Allocator slack and workspaces: ${(plan.peak.slack / GIB).toFixed(2)} GB`,
    "",
    `Peak: ${fmtGb(plan.peak.bytes / GIB)} (${plan.peak.phase.replace("_", " ")}) of ${fmtGb(c.memoryGb)}: ${plan.fits ? "fits" : "does not fit"}`,
    `Step time: ~${formatSeconds(plan.time.total_s)} (rollouts ${formatSeconds(plan.time.rollout_s)}, training ${formatSeconds(plan.time.training_s)}; every rollout at full length${c.knownRates ? "" : c.kind === "cpu" ? "; a CPU's rates assumed" : "; an unknown GPU's rates assumed (0.8 TB/s, 100 TFLOP/s)"})`,
  );
  if (plan.notes.length) lines.push("", ...plan.notes.map((x) => `- ${x}`));
  if (l.refusal) lines.push("", l.refusal);
  return lines.join("\n");
}
