// The engine's `load` for a training run, built from config.json's settings: the optimizer, the
// KL reference, LoRA's adapters, and on resume the checkpoint to continue from. A LoRA checkpoint
// holds merged weights (for evaluation and every later tool) and the adapter in PEFT's layout in
// its `adapter/` folder; resumed from it, the engine loads the base weights from the model the run
// started from (recorded in its engine_state.pt) and restores the adapters and their AdamW state.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { LoadParams } from "../engine/protocol";
import type { TrainConfig } from "../example/config";
import { ALL_LINEAR, LORA_TARGETS, loraParams, loraSummary } from "../example/lora";
import { resolveOptimizerState } from "./optimizerState";

/** The folder of a checkpoint that holds its PEFT adapter (adapter_config.json + adapter_model.safetensors). */
export const ADAPTER_DIR = "adapter";

export function trainLoadParams(config: Pick<TrainConfig, "settings" | "plan">, resumeDir?: string): LoadParams {
  const s = config.settings;
  const lora = loraParams(s);
  return {
    model: resumeDir ?? s.model,
    dtype: s.dtype,
    device: s.device,
    seed: s.seed,
    train: true,
    optimizer: { lr: s.lr, weight_decay: s.weight_decay, adam_betas: s.adam_betas, adam_eps: s.adam_eps, grad_clip: s.grad_clip, optimizer_state: resolveOptimizerState(s, config.plan) },
    // With LoRA the engine's reference is the base model with the adapters switched off (no copy).
    reference_model: s.kl_coef > 0,
    gradient_checkpointing: s.gradient_checkpointing,
    ...(lora ? { lora } : {}),
    ...(resumeDir ? { resume_state: resumeDir } : {}),
  };
}

/** PEFT's adapter_config.json, the keys compared on resume. */
interface AdapterConfig {
  r?: unknown;
  lora_alpha?: unknown;
  target_modules?: unknown;
}

/**
 * Why a run whose settings are `s` cannot continue from the checkpoint in `dir`: it was trained with
 * another LoRA rank, alpha or set of layers, or with LoRA where the settings say full fine-tuning
 * (or the reverse). config.json may have been edited since the run started; adapters of one shape
 * cannot be loaded as another's. Undefined when they agree.
 */
export function loraResumeMismatch(dir: string, s: TrainConfig["settings"]): string | undefined {
  const want = loraParams(s);
  const file = path.join(dir, ADAPTER_DIR, "adapter_config.json");
  let saved: AdapterConfig | undefined;
  try {
    saved = JSON.parse(readFileSync(file, "utf8")) as AdapterConfig;
  } catch {
    saved = undefined;
  }
  const name = path.basename(dir);
  const now = `config.json now says ${loraSummary(s)}`;
  if (!saved) return want ? `Checkpoint ${name} was trained with full fine-tuning (it has no ${ADAPTER_DIR}/adapter_config.json), but ${now}` : undefined;
  // PEFT writes a list (the engine: sorted) or a string such as "all-linear".
  const targets = Array.isArray(saved.target_modules)
    ? (saved.target_modules as unknown[]).map(String).sort()
    : saved.target_modules === ALL_LINEAR
      ? [...LORA_TARGETS].sort()
      : [String(saved.target_modules)];
  const all = targets.join(",") === [...LORA_TARGETS].sort().join(",");
  const had = `LoRA rank ${String(saved.r)}, alpha ${String(saved.lora_alpha)} on ${all ? "all linear layers" : targets.join(", ")}`;
  if (!want) return `Checkpoint ${name} was trained with ${had}, but ${now}`;
  const same = saved.r === want.rank && saved.lora_alpha === want.alpha && targets.join(",") === [...want.targets].sort().join(",");
  return same ? undefined : `Checkpoint ${name} was trained with ${had}, but ${now}`;
}

/** What to do about a mismatch: the run's own settings are what its checkpoints were trained with. */
export const LORA_RESUME_HINT =
  "Put lora_rank, lora_alpha and lora_targets in the run's config.json back to what the checkpoint was trained with, or start a new run with `model:` set to the checkpoint (its merged weights) to train it further with other LoRA settings.";
