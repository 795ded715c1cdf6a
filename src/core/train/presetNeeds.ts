// What each preset needs of the machine, in the words the preset and model pickers show next to
// its name. Whether a GPU is needed is the pre-flight's own rule (gpuNeed); the memory is the
// memory plan's (src/core/plan) for the preset's own model: the smallest common card it fits.
import { PRESETS, type PresetName } from "../example";
import { UNKNOWN_GPU_RATES } from "../plan/gpu";
import { KNOWN_CONFIGS } from "../plan/knownShapes";
import { estimatePromptTokens, planRun } from "../plan/plan";
import { shapeFromConfig } from "../plan/shape";
import { gpuNeed } from "./preflight";

// 12 GB: the `lora` preset's card (full fine-tuning of a 1.5B model needs more than 13 GB for weights and state alone).
const CARDS_GB = [12, 24, 40, 80];
// A typical one-shot problem (the paper's π1 is about 400 characters).
const PROBLEM_CHARS = 400;

/** e.g. "GPU · fits 24 GB (planned 21.1 GB)", "CPU · under 1 GB". */
export function presetNeeds(name: PresetName): string {
  const s = PRESETS[name];
  return `${gpuNeed(s) ? "GPU" : "CPU"} · ${memoryNeed(name)}`;
}

function memoryNeed(name: PresetName): string {
  const s = PRESETS[name];
  const config = KNOWN_CONFIGS[s.model];
  // The tiny model's 1.86 M parameters: nothing to plan.
  if (!config) return "under 1 GB";
  const shape = shapeFromConfig(config, s.model);
  const promptTokens = estimatePromptTokens(s.system_prompt + "x".repeat(PROBLEM_CHARS), s.max_prompt_tokens);
  for (const memoryGb of CARDS_GB) {
    const card = { name: `${memoryGb} GB`, memoryGb, kind: "gpu" as const, rates: UNKNOWN_GPU_RATES, knownRates: false, memorySource: "--gpu-memory" as const };
    const plan = planRun({ settings: s, shape, card, promptTokens });
    if (plan.fits) return `fits ${memoryGb} GB (planned ${(plan.peak.bytes / 1024 ** 3).toFixed(1)} GB)`;
  }
  return `more than ${CARDS_GB[CARDS_GB.length - 1]} GB`;
}
