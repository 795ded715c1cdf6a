// Shapes and cards for the planner's tests: the Qwen2.5 shapes of the built-in table and an H200's
// rates under a memory cap (how bench/memory.py emulates smaller cards).
import type { Card } from "../../../src/core/plan/gpu";
import { ratesFor } from "../../../src/core/plan/gpu";
import { KNOWN_CONFIGS, SHAPE_NAMES } from "../../../src/core/plan/knownShapes";
import type { PlanSettings } from "../../../src/core/plan/plan";
import { shapeFromConfig, type ModelShape } from "../../../src/core/plan/shape";

export const shape = (name: keyof typeof SHAPE_NAMES): ModelShape => shapeFromConfig(KNOWN_CONFIGS[SHAPE_NAMES[name]]);

export const h200 = (memoryGb: number): Card => ({ name: "NVIDIA H200", memoryGb, kind: "gpu", rates: ratesFor("NVIDIA H200").rates, knownRates: true, memorySource: "--gpu-memory" });

export const settings = (over: Partial<PlanSettings> = {}): PlanSettings => ({
  prompt_copies: 16,
  rollouts: 8,
  max_prompt_tokens: 1024,
  max_response_tokens: 2048,
  kl_coef: 0,
  mini_batches: 1,
  micro_batch_size: 2,
  dtype: "bfloat16",
  gradient_checkpointing: false,
  ...over,
});
