// The layers LoRA adapts and what its adapters cost, from a model's shape: the planner's memory
// arithmetic and the settings' width check (src/core/example/lora.ts) both count from here.
import type { ModelShape } from "./shape";

/** The decoder's linear layers LoRA can adapt, by their Hugging Face module names. */
export const LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** `lora_targets`' shorthand for every one of LORA_TARGETS (PEFT's name for the same set). */
export const ALL_LINEAR = "all-linear";

/** [in, out] features of each target layer of one decoder layer. */
export function targetShapes(shape: ModelShape): Record<LoraTarget, [number, number]> {
  const q = shape.heads * shape.headDim;
  const kv = shape.kvHeads * shape.headDim;
  const h = shape.hidden;
  const i = shape.intermediate;
  return { q_proj: [h, q], k_proj: [h, kv], v_proj: [h, kv], o_proj: [q, h], gate_proj: [h, i], up_proj: [h, i], down_proj: [i, h] };
}

/** Adapter parameters of the whole model: r·(in + out) for A and B of each target, in every layer. */
export function adapterParams(shape: ModelShape, s: { lora_rank: number; lora_targets: readonly string[] | typeof ALL_LINEAR }): number {
  if (s.lora_rank <= 0) return 0;
  const shapes = targetShapes(shape);
  const targets: readonly LoraTarget[] = s.lora_targets === ALL_LINEAR ? LORA_TARGETS : LORA_TARGETS.filter((t) => s.lora_targets.includes(t));
  const perLayer = targets.reduce((sum, t) => sum + shapes[t][0] + shapes[t][1], 0);
  return shape.layers * s.lora_rank * perLayer;
}

