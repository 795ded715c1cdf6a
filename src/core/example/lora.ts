// LoRA in a run's settings: which layers `lora_targets` names, the `lora` field of the engine's
// `load` (none: full fine-tuning), the learning-rate rule of a LoRA run, and the checks that need
// more than one setting or the model's shape (schema.json bounds each key alone); the layers and
// their adapters' size are the planner's (../plan/lora.ts). No Node imports:
// the webview's Config tab words a run's LoRA settings with loraSummary.
import type { LoraParams } from "../engine/protocol";
import { ALL_LINEAR, LORA_TARGETS, targetShapes, type LoraTarget } from "../plan/lora";
import type { ModelShape } from "../plan/shape";

export { ALL_LINEAR, LORA_TARGETS, adapterParams, targetShapes, type LoraTarget } from "../plan/lora";

/**
 * A LoRA run's learning rate, unless lr is set explicitly: this many times the preset's (full
 * fine-tuning) lr. LoRA's update is scaled down by its low rank, and "LoRA Without Regret"
 * (Thinking Machines, 2025) found the best LoRA lr about 10× the full one across model sizes; TRL
 * reproduced its matching GRPO reward curves at rank 1 with lr 1e-5 against full fine-tuning's 1e-6.
 */
export const LORA_LR_MULTIPLIER = 10;

export interface LoraSettings {
  lora_rank: number;
  lora_alpha: number;
  lora_targets: LoraTarget[] | typeof ALL_LINEAR;
  lora_dropout: number;
}

export const usesLora = (s: Pick<LoraSettings, "lora_rank">): boolean => s.lora_rank > 0;

/** The layers adapted, each once, in the model's order. */
export function loraTargets(s: Pick<LoraSettings, "lora_targets">): LoraTarget[] {
  if (s.lora_targets === ALL_LINEAR) return [...LORA_TARGETS];
  return LORA_TARGETS.filter((t) => s.lora_targets.includes(t));
}

/** The engine's `load` field: adapters on `targets`, or undefined for full fine-tuning (no field). */
export function loraParams(s: LoraSettings): LoraParams | undefined {
  if (!usesLora(s)) return undefined;
  return { rank: s.lora_rank, alpha: s.lora_alpha, targets: loraTargets(s), dropout: s.lora_dropout };
}

/** A problem of a setting with the key it is about (the editor underlines that key). */
export interface SettingProblem {
  key: "lora_rank" | "lora_targets" | "optimizer_state";
  message: string;
}

/**
 * What LoRA cannot serve: a rank above a targeted layer's width (the model's shape, when known: a
 * low-rank update of rank ≥ min(in, out) is no longer low-rank, only bigger), and the compact
 * optimizer state, which stores full fine-tuning's bf16 weights compactly while adapters train in
 * fp32 with plain AdamW.
 */
export function loraProblems(s: LoraSettings & { optimizer_state: string }, shape?: ModelShape): SettingProblem[] {
  if (!usesLora(s)) return [];
  const out: SettingProblem[] = [];
  if (s.optimizer_state === "compact") {
    out.push({ key: "optimizer_state", message: "optimizer_state compact is for full fine-tuning (lora_rank 0); LoRA adapters train in fp32 with plain AdamW: remove optimizer_state or set it to auto" });
  }
  if (shape) {
    const shapes = targetShapes(shape);
    const narrow = loraTargets(s)
      .map((t) => ({ t, width: Math.min(...shapes[t]) }))
      .filter((x) => s.lora_rank > x.width);
    if (narrow.length) {
      const smallest = Math.min(...narrow.map((x) => x.width));
      out.push({
        key: "lora_rank",
        message: `lora_rank ${s.lora_rank} is larger than ${narrow.map((x) => `${x.t} (width ${x.width})`).join(", ")} of this model: use lora_rank ≤ ${smallest}${narrow.length < loraTargets(s).length ? " or leave those layers out of lora_targets" : ""}`,
      });
    }
  }
  return out;
}

/** One line for a run's settings: "LoRA rank 32, alpha 32 on all linear layers (dropout 0)" or "full fine-tuning". */
export function loraSummary(s: Partial<LoraSettings>): string {
  if (!s.lora_rank) return "full fine-tuning";
  const targets = s.lora_targets === undefined || s.lora_targets === ALL_LINEAR ? "all linear layers" : s.lora_targets.join(", ");
  return `LoRA rank ${s.lora_rank}, alpha ${s.lora_alpha ?? "?"} on ${targets} (dropout ${s.lora_dropout ?? 0})`;
}

/** The dashboard's Config tab line: the training method and the lr, with the rule that set it. */
export function trainingLine(config: unknown): string | undefined {
  const c = config as { settings?: Partial<LoraSettings> & { lr?: unknown }; derived?: { lr?: unknown } } | undefined;
  if (!c?.settings || typeof c.settings.lr !== "number") return undefined;
  const rule = typeof c.derived?.lr === "string" ? ` (${c.derived.lr})` : "";
  return `${loraSummary(c.settings)}; lr ${c.settings.lr}${rule}`;
}
