// When a plan does not fit: the sentence that refuses it, naming the largest settings that would
// fit (each changed alone, every `auto` resolved again), so the user has a next step.
import { fmtGb } from "./gpu";
import { GIB } from "./memory";
import { planRun, type Plan, type PlanInput, type PlanSettings } from "./plan";

const n = (v: number) => v.toLocaleString("en-US");

const fitsWith = (p: PlanInput, change: Partial<PlanSettings>) => planRun({ ...p, settings: { ...p.settings, ...change } }).fits;

/** The largest integer in [lo, hi] for which `ok` holds (ok monotone: true below some point), or undefined. */
function largest(lo: number, hi: number, ok: (v: number) => boolean): number | undefined {
  if (hi < lo || !ok(lo)) return undefined;
  while (hi > lo) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Settings changes (in `key value` words) that would make `plan` fit, most useful first. */
export function fittingChanges(plan: Plan): string[] {
  const p = plan.input;
  const s = p.settings;
  const out: string[] = [];
  if (s.optimizer_state === "fp32" && fitsWith(p, { optimizer_state: "compact" })) out.push("optimizer_state compact");
  if (typeof s.rollout_wave_size === "number" && s.rollout_wave_size > 1) {
    const w = largest(1, s.rollout_wave_size - 1, (v) => fitsWith(p, { rollout_wave_size: v }));
    if (w !== undefined) out.push(`rollout_wave_size ${n(w)}`);
  }
  if (!s.gradient_checkpointing && fitsWith(p, { gradient_checkpointing: true })) out.push("gradient_checkpointing true");
  if (s.micro_batch_size > 1) {
    const m = largest(1, Math.min(s.micro_batch_size, plan.rows) - 1, (v) => fitsWith(p, { micro_batch_size: v }));
    if (m !== undefined) out.push(`micro_batch_size ${n(m)}`);
  }
  // Response lengths in steps of 128 tokens: a plan's estimate is not finer than that.
  const steps = Math.floor((s.max_response_tokens - 1) / 128);
  const t = largest(1, steps, (v) => fitsWith(p, { max_response_tokens: v * 128 }));
  if (t !== undefined) out.push(`max_response_tokens ${n(t * 128)}`);
  if (s.prompt_copies > 1) {
    const c = largest(1, s.prompt_copies - 1, (v) => fitsWith(p, { prompt_copies: v }));
    if (c !== undefined) out.push(`prompt_copies ${n(c)}`);
  }
  return out;
}

/** One sentence refusing a plan that does not fit (undefined when it fits). */
export function refusal(plan: Plan, modelName: string): string | undefined {
  if (plan.fits) return undefined;
  const card = fmtGb(plan.input.card.memoryGb);
  const need = fmtGb(plan.peak.bytes / GIB);
  const changes = fittingChanges(plan);
  const head = `${modelName} does not fit in ${card}: the step needs about ${need} at its peak (${plan.peak.phase.replace("_", " ")} phase)`;
  if (changes.length) return `${head}; ${joinOr(changes.slice(0, 3))} would fit in ${card}.`;
  return `${head}, and no single setting change fits it: use a card with more memory or a smaller model${loraAdvice(plan)}.`;
}

/** The suggested LoRA rank (the `lora` preset's). */
const SUGGESTED_RANK = 32;

/** ", or train LoRA adapters (lora_rank 32: about 22.3 GB)" when a full fine-tuning plan would fit with them. */
function loraAdvice(plan: Plan): string {
  const p = plan.input;
  if ((p.settings.lora_rank ?? 0) > 0) return "";
  const lora = planRun({ ...p, settings: { ...p.settings, lora_rank: SUGGESTED_RANK, optimizer_state: "auto" } });
  return lora.fits ? `, or train LoRA adapters instead (lora_rank ${SUGGESTED_RANK}: about ${fmtGb(lora.peak.bytes / GIB)})` : "";
}

function joinOr(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
