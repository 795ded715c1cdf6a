// The engine RPC contract: JSON-RPC 2.0 with Content-Length framing on the engine's stdio.
// This file is the TypeScript half of the one declaration; engine/PROTOCOL.md documents the same
// methods for the Python side (engine/oneshot_engine/protocol.py mirrors these names). Change both
// together. Field names are snake_case because they cross into Python unchanged.

export const ENGINE_PROTOCOL_VERSION = 1;

export type Dtype = "bfloat16" | "float16" | "float32";
export type KlType = "low_var_kl" | "k1" | "k2";
export type LossAgg = "token-mean" | "seq-mean-token-mean" | "seq-mean-token-sum";

export interface HelloResult {
  protocol_version: number;
  engine_version: string;
  torch_version: string;
  /** e.g. "cpu", "cuda:0 (NVIDIA H100 80GB HBM3)". */
  device: string;
  cuda_available: boolean;
}

export interface OptimizerParams {
  lr: number;
  weight_decay: number;
  betas: [number, number];
  eps: number;
  grad_clip: number;
  /** Keep fp32 master weights when the model computes in bf16/fp16 (lr 1e-6 is lost in bf16). */
  fp32_master: boolean;
}

export interface LoadParams {
  /** Local directory with config.json + safetensors, or a hub id. */
  model: string;
  revision?: string;
  dtype: Dtype;
  /** "auto" picks cuda when available. */
  device: "auto" | "cpu" | "cuda";
  seed: number;
  /** Train mode: builds the optimizer. Eval-only loads skip it. */
  train: boolean;
  optimizer?: OptimizerParams;
  /** Keep a frozen copy for the KL term; false when the KL coefficient is 0. */
  reference_model: boolean;
  gradient_checkpointing: boolean;
  /** Restore optimizer state and RNG saved by `save` (resume). */
  resume_state?: string;
}

export interface LoadResult {
  model_type: string;
  params: number;
  device: string;
  dtype: Dtype;
  vocab_size: number;
  max_position_embeddings: number;
  has_chat_template: boolean;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface FormatPromptParams {
  messages: ChatMessage[];
  /** An explicit template with `{problem}`/`{system}` placeholders; else the model's chat template; else plain text. */
  template?: string;
  /** The longest formatted prompt accepted, in tokens (max_prompt_tokens): longer → -32602, found before tokenising a huge text. */
  max_tokens?: number;
}

export interface FormatPromptResult {
  text: string;
  tokens: number;
}

export interface GenerateParams {
  /** Already formatted prompt texts (see format_prompt). */
  prompts: string[];
  /** Rollouts per prompt. Outputs are ordered prompt-major: prompt 0's n rollouts first. */
  n: number;
  temperature: number;
  top_p: number;
  /** 0 disables top-k. */
  top_k: number;
  max_new_tokens: number;
  stop: string[];
  seed?: number;
  /** Keep the token ids on the device for the next train_step (training rollouts). */
  keep_for_training: boolean;
}

export type FinishReason = "stop" | "length" | "stop_string";

export interface GenerateOutput {
  prompt_index: number;
  text: string;
  tokens: number;
  finish_reason: FinishReason;
}

export interface GenerateResult {
  outputs: GenerateOutput[];
  /** Identifies the kept batch for train_step; absent when keep_for_training was false. */
  batch_id?: string;
  time_s: number;
  generated_tokens: number;
  tokens_per_s: number;
}

export interface TrainStepParams {
  batch_id: string;
  /** One advantage per output of the generate call, in its order. */
  advantages: number[];
  clip_eps_low: number;
  clip_eps_high: number;
  kl_coef: number;
  kl_type: KlType;
  entropy_coef: number;
  loss_agg: LossAgg;
  /** Optimizer steps per rollout batch (1 = fully on-policy, no old-log-prob pass). */
  mini_batches: number;
  /** Rows per forward/backward; gradients accumulate across micro-batches. */
  micro_batch_size: number;
  lr?: number;
}

export interface TrainStepResult {
  loss: number;
  pg_loss: number;
  kl: number;
  entropy: number;
  clip_fraction: number;
  grad_norm: number;
  tokens: number;
  time_s: number;
  peak_mem_gb: number;
}

export interface SaveParams {
  /** Directory to write a Hugging Face checkpoint into (config, safetensors, tokenizer). */
  path: string;
  /** Also write optimizer state and RNG (engine_state.pt) for resume. */
  include_state: boolean;
}

export interface SaveResult {
  path: string;
  files: string[];
  time_s: number;
}

/** Method name → [params, result]. */
export interface EngineMethods {
  hello: [Record<string, never>, HelloResult];
  load: [LoadParams, LoadResult];
  format_prompt: [FormatPromptParams, FormatPromptResult];
  generate: [GenerateParams, GenerateResult];
  train_step: [TrainStepParams, TrainStepResult];
  save: [SaveParams, SaveResult];
  shutdown: [Record<string, never>, { ok: true }];
}

export type EngineMethod = keyof EngineMethods;

/** Notifications the engine sends while a call runs. */
export interface ProgressNotification {
  method: "progress";
  params: { phase: string; done: number; total: number };
}
export interface LogNotification {
  method: "log";
  params: { level: "debug" | "info" | "warn" | "error"; message: string };
}
export type EngineNotification = ProgressNotification | LogNotification;

/** JSON-RPC error codes the engine uses beyond the standard ones; `data.hint` says what to try. */
export const EngineErrorCode = {
  OutOfMemory: -32001,
  ModelNotFound: -32002,
  BadConfig: -32003,
  NoBatch: -32004,
  Offline: -32005,
  /** A checkpoint folder is incomplete or unreadable (resume falls back to an earlier one). */
  BadCheckpoint: -32006,
  Internal: -32603,
} as const;

export interface EngineErrorData {
  hint?: string;
  /** Python exception class, for logs. */
  exception?: string;
}
