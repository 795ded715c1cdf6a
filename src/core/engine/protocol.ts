// The engine RPC contract: JSON-RPC 2.0 with Content-Length framing on the engine's stdio.
// This file is the TypeScript half of the one declaration; engine/oneshot_engine/protocol.py is the
// Python half (its dataclasses are the engine's parameter types all the way to the loss) and
// engine/PROTOCOL.md documents both. test/unit/engine/contract.test.ts fails when the two halves
// differ in a method, a field, a type or an error code. Field names are snake_case because they
// cross into Python unchanged, and a field that carries a run setting has the setting's name
// (TrainSettings in src/core/example/config.ts): rollouts, max_response_tokens, clip_ratio_low…
// The one hop where names change (a benchmark's `samples`) is src/core/bench/engineParams.ts.

export const ENGINE_PROTOCOL_VERSION = 4;

export type Dtype = "bfloat16" | "float16" | "float32";
export type KlType = "low_var_kl" | "k1" | "k2";
export type LossAgg = "token-mean" | "seq-mean-token-mean" | "seq-mean-token-sum";

/**
 * The engine's kernel and memory options, read from its environment once at start
 * (engine/oneshot_engine/options.py, EngineOptions; the variable of each field in brackets).
 */
export interface EngineOptions {
  /** torch.compile of the decode helpers and training layers (ONESHOT_COMPILE). */
  compile: boolean;
  /** torch.compile of the training pass's layers (ONESHOT_COMPILE_TRAIN). */
  compile_train: boolean;
  /** The static-cache decode runner with CUDA graphs instead of the eager loop (ONESHOT_FAST_DECODE). */
  fast_decode: boolean;
  /** Triton kernels: decode attention and fused log-probs (ONESHOT_TRITON). */
  triton: boolean;
  /** The decode runner's attention (ONESHOT_DECODE_ATTN); null: the device's default, or (in `load`) the eager loop. */
  decode_attention: "triton" | "sdpa" | "bmm" | null;
  /** The engine acts as if the GPU had this many GiB: the allocator refuses past it, training plans within it (ONESHOT_MEMORY_LIMIT_GB). */
  memory_limit_gb: number | null;
}

/** The GPU's memory in GiB, within memory_limit_gb when that caps it. */
export interface GpuMemory {
  total_gb: number;
  free_gb: number;
  /** e.g. "NVIDIA H100 80GB HBM3". */
  name: string;
}

/** Methods without parameters. */
export type NoParams = Record<string, never>;

export interface HelloResult {
  protocol_version: number;
  engine_version: string;
  torch_version: string;
  /** e.g. "cpu", "cuda:0 (NVIDIA H100 80GB HBM3)". */
  device: string;
  cuda_available: boolean;
  /** The options as the environment asked for them. */
  options: EngineOptions;
  /** null without CUDA. */
  gpu_memory: GpuMemory | null;
  /** Engine processes working together under torchrun (rank 0 answers); 1 for a single engine. */
  world_size: number;
}

/** The engine's optimizer state (the example's `auto` is resolved before load). */
export type OptimizerState = "fp32" | "compact";

export interface OptimizerParams {
  lr: number;
  weight_decay: number;
  adam_betas: [number, number];
  adam_eps: number;
  grad_clip: number;
  /** bf16/fp16 weights: fp32 masters + fp32 moments, or compact (compensated in-place update, int8/bf16 moments). */
  optimizer_state: OptimizerState;
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
  /** Train low-rank adapters on the frozen base instead of every weight; absent: full fine-tuning. */
  lora?: LoraParams;
}

/** LoRA adapters of a train load (engine/oneshot_engine/lora.py); rank 0 is full fine-tuning. */
export interface LoraParams {
  rank: number;
  alpha: number;
  /** Hugging Face module names: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj. */
  targets: string[];
  dropout: number;
}

export interface LoadResult {
  model_type: string;
  params: number;
  device: string;
  dtype: Dtype;
  vocab_size: number;
  max_position_embeddings: number;
  has_chat_template: boolean;
  /** The options as they apply on the loaded device (off where it cannot use them). */
  options: EngineOptions;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface FormatPromptParams {
  messages: ChatMessage[];
  /** An explicit template with `{problem}`/`{system}` placeholders; else the model's chat template; else plain text. */
  prompt_template?: string;
  /** The longest formatted prompt accepted, in tokens: longer → -32602, found before tokenising a huge text. */
  max_prompt_tokens?: number;
}

export interface FormatPromptResult {
  text: string;
  tokens: number;
}

export interface GenerateParams {
  /** Already formatted prompt texts (see format_prompt). */
  prompts: string[];
  /** Responses per prompt (a benchmark passes its `samples`). Outputs are prompt-major: prompt 0's first. */
  rollouts: number;
  temperature: number;
  top_p: number;
  /** 0 disables top-k. */
  top_k: number;
  max_response_tokens: number;
  stop: string[];
  seed?: number;
  /** Keep the token ids on the device for the next train_step (training rollouts). */
  keep_for_training: boolean;
  /** Rows (prompts × rollouts) decoded at once, in consecutive waves: the setting as resolved (never "auto"); absent: all rows at once. */
  rollout_wave_size?: number;
  /** Send finished rows in `outputs` notifications while the call decodes (the result still holds every row). */
  stream_outputs?: boolean;
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
  /** CUDA peak allocated during the call (GiB), or the process's peak RSS on the CPU. */
  peak_mem_gb: number;
}

/** A row of a generate call sent before the call ends; `index` is its place in the result's outputs. */
export interface StreamedOutput extends GenerateOutput {
  index: number;
}

export interface TrainStepParams {
  batch_id: string;
  /** One advantage per output of the generate call, in its order. */
  advantages: number[];
  clip_ratio_low: number;
  clip_ratio_high: number;
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

export interface ShutdownResult {
  ok: true;
}

/** Method name → [params, result]. */
export interface EngineMethods {
  hello: [NoParams, HelloResult];
  load: [LoadParams, LoadResult];
  format_prompt: [FormatPromptParams, FormatPromptResult];
  generate: [GenerateParams, GenerateResult];
  train_step: [TrainStepParams, TrainStepResult];
  save: [SaveParams, SaveResult];
  shutdown: [NoParams, ShutdownResult];
}

export type EngineMethod = keyof EngineMethods;

export interface ProgressNotice {
  phase: string;
  done: number;
  total: number;
}
export interface LogNotice {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}
/** Rows of a generate call with stream_outputs that finished since the last notice, each sent once. */
export interface OutputsNotice {
  outputs: StreamedOutput[];
}

/** Notifications the engine sends while a call runs: method → params. */
export interface EngineNotifications {
  progress: ProgressNotice;
  log: LogNotice;
  outputs: OutputsNotice;
}
export type ProgressNotification = { method: "progress"; params: ProgressNotice };
export type LogNotification = { method: "log"; params: LogNotice };
export type OutputsNotification = { method: "outputs"; params: OutputsNotice };
export type EngineNotification = ProgressNotification | LogNotification | OutputsNotification;

/**
 * JSON-RPC error codes the engine answers with (the standard ones included); `data.reason` says
 * which case it was. What to try is the controller's to say: defaultHint in ./errors.ts.
 */
export const EngineErrorCode = {
  OutOfMemory: -32001,
  ModelNotFound: -32002,
  BadConfig: -32003,
  NoBatch: -32004,
  Offline: -32005,
  /** A checkpoint folder is incomplete or unreadable (resume falls back to an earlier one). */
  BadCheckpoint: -32006,
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  /** A field missing, mistyped or out of its range, or a prompt too long for its limit. */
  InvalidParams: -32602,
  Internal: -32603,
} as const;

/** Which case of a code it was, where the advice differs (engine/oneshot_engine/errors.py says when). */
export type ErrorReason =
  | "not_a_model"
  | "gated"
  | "no_safetensors"
  | "offline_mode"
  | "download_failed"
  | "unsupported_model"
  | "no_tokenizer"
  | "no_cuda"
  | "no_reference"
  | "not_enough_memory"
  | "not_quantisable";

/** `error.data` of the engine's own errors: facts, never advice. */
export interface EngineErrorData {
  /** Python exception class, for logs. */
  exception: string;
  reason?: ErrorReason;
  /** OutOfMemory: the method that ran out (load, generate, train_step, save…). */
  phase?: string;
}
