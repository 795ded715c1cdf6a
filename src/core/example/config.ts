// The resolved configuration of a training run, as written to `config.json`: the example itself
// (problem, answer, verifier) plus every setting, each filled from the preset, the example's front
// matter or a --set override (in that order of precedence, last wins).
import type { Dtype, KlType, LossAgg, OptimizerState } from "../engine/protocol";
import type { LoraSettings } from "./lora";
import type { RunPlan } from "../plan/record";
import type { VerifierSpec } from "../verifier/api";

export type PresetName = "paper" | "local" | "lora" | "cpu-demo";
export const PRESET_NAMES: readonly PresetName[] = ["paper", "local", "lora", "cpu-demo"];

/** Run settings: every key is also a front matter key (see schema.json for their meaning). */
export interface TrainSettings {
  model: string;
  steps: number;
  prompt_copies: number;
  rollouts: number;
  temperature: number;
  top_p: number;
  top_k: number;
  max_prompt_tokens: number;
  max_response_tokens: number;
  stop: string[];
  lr: number;
  weight_decay: number;
  adam_betas: [number, number];
  adam_eps: number;
  grad_clip: number;
  optimizer_state: OptimizerState | "auto";
  /** 0: full fine-tuning; > 0: frozen base weights and adapters of this rank (./lora.ts). */
  lora_rank: number;
  lora_alpha: number;
  lora_targets: LoraSettings["lora_targets"];
  lora_dropout: number;
  clip_ratio_low: number;
  clip_ratio_high: number;
  kl_type: KlType;
  kl_coef: number;
  entropy_coef: number;
  loss_agg: LossAgg;
  mini_batches: number;
  micro_batch_size: number;
  /** Rollouts generated at once (consecutive waves); "auto": the memory plan decides (train/waves.ts). */
  rollout_wave_size: "auto" | number;
  dtype: Dtype;
  device: "auto" | "cpu" | "cuda";
  /** Engine processes on this machine (one per GPU; torchrun when more than one): "auto" = every visible GPU. */
  devices: "auto" | number;
  gradient_checkpointing: boolean;
  seed: number;
  system_prompt: string;
  prompt_template: string | null;
  /** Text appended to the problem in the training prompt's user turn (evaluation never adds it). */
  prompt_suffix: string;
  eval_every: number;
  eval_benchmarks: string[];
  eval_subset: number | null;
  eval_batch_size: number;
  checkpoint_every: number;
  keep_checkpoints: number;
  log_rollouts: number;
  boxed_only: boolean;
  verifier_timeout_ms: number;
}

export type SettingKey = keyof TrainSettings;

/** Where a setting's value came from. */
export type SettingSource = "preset" | "example" | "--set";

export interface TrainConfig {
  /** config.json format version. */
  version: 1;
  run_id: string;
  created: string;
  example: {
    /** Absolute path of the example file. */
    file: string;
    title?: string;
    problem: string;
    answer: string;
    verifier: VerifierSpec;
  };
  preset: PresetName;
  settings: TrainSettings;
  /** Settings that did not come from the preset, and where they came from. */
  overrides: Partial<Record<SettingKey, Exclude<SettingSource, "preset">>>;
  /**
   * Settings a documented rule derived rather than the preset, and the rule in words: a LoRA
   * run's lr when lr was not set (./lora.ts, LORA_LR_MULTIPLIER).
   */
  derived?: Partial<Record<SettingKey, string>>;
  /** The memory plan `oneshot train` made for a GPU run (src/core/plan), with its --gpu-memory cap. */
  plan?: RunPlan;
  /** Engine processes of the run's latest start, all machines together (the engine's `hello`). */
  world_size?: number;
}
