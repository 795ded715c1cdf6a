// The three presets. A preset is a complete set of settings; the example's front matter and
// --set override single keys. Models given as relative paths are resolved against the project
// root (where examples/ lives), so `cpu-demo` works from any working directory.
import type { PresetName, TrainSettings } from "./config";

/** The paper's system prompt (also its evaluation prompt). */
export const PAPER_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}.";

/**
 * The instruction the paper's training data appends to the problem (its verl Parquet files' user
 * turn); its evaluation prompt has none. The chat template then adds the system prompt.
 */
export const PAPER_PROMPT_SUFFIX = " Let's think step by step and output the final answer within \\boxed{}.";

/**
 * `paper`: the recipe that reproduced the headline result (arXiv 2504.20571, verl GRPO):
 * Qwen2.5-Math-1.5B, the example copied to 128 prompts × 8 rollouts, temperature 0.6,
 * 3072 response tokens, constant lr 1e-6 with AdamW (wd 0.01) on fp32 master weights, grad clip 1.0,
 * PPO clip 0.2, low_var_kl 0.001, entropy bonus 0.001, token-mean loss, one optimizer step per
 * rollout batch, 2000 steps, greedy MATH500 every 20 steps. Fits one 80 GB card with `auto`
 * optimizer_state and rollout_wave_size: the plan keeps the fp32 state and decodes the 1,024
 * rollouts in waves; 40 GB cards take smaller waves. Micro-batches of 4 rows without gradient
 * checkpointing: the engine frees the rollouts' KV cache before training (kv_release) and then
 * recomputes no layer on an 80 GB card or an H200 (the paper's 16 rows with every layer recomputed
 * took 107 s of a 171 s step on an H200; micro-batches only split the same gradient). With every
 * rollout at once, fp32 state and blanket checkpointing it peaked at 132.4 GB on an H200.
 */
const paper: TrainSettings = {
  model: "Qwen/Qwen2.5-Math-1.5B",
  steps: 2000,
  prompt_copies: 128,
  rollouts: 8,
  temperature: 0.6,
  top_p: 1,
  top_k: 0,
  max_prompt_tokens: 1024,
  max_response_tokens: 3072,
  stop: [],
  lr: 1e-6,
  weight_decay: 0.01,
  adam_betas: [0.9, 0.999],
  adam_eps: 1e-8,
  grad_clip: 1,
  optimizer_state: "auto",
  // Full fine-tuning, the paper's recipe; the LoRA settings below apply once lora_rank > 0.
  lora_rank: 0,
  lora_alpha: 32,
  lora_targets: "all-linear",
  lora_dropout: 0,
  clip_ratio_low: 0.2,
  clip_ratio_high: 0.2,
  kl_type: "low_var_kl",
  kl_coef: 0.001,
  entropy_coef: 0.001,
  loss_agg: "token-mean",
  mini_batches: 1,
  micro_batch_size: 4,
  rollout_wave_size: "auto",
  dtype: "bfloat16",
  device: "auto",
  devices: "auto",
  gradient_checkpointing: false,
  seed: 1,
  system_prompt: PAPER_SYSTEM_PROMPT,
  prompt_template: null,
  prompt_suffix: PAPER_PROMPT_SUFFIX,
  eval_every: 20,
  eval_benchmarks: ["math500"],
  eval_subset: null,
  eval_batch_size: 64,
  checkpoint_every: 100,
  keep_checkpoints: 3,
  log_rollouts: 8,
  // The paper rewards only a boxed final answer; the tiny model's headroom depends on it too
  // (it often ends with "The answer is 7." unboxed: 87.5% vs 37.5% base accuracy).
  boxed_only: true,
  verifier_timeout_ms: 2000,
};

/**
 * `local`: the same model and loss on one 24 GB GPU (RTX 3090/4090, A5000, L4). What changes, and why:
 * - 8 prompt copies × 8 rollouts = 64 responses per step instead of 1024: the paper's group size
 *   (8) and loss, a batch a 24 GB card holds; rollout time scales with it.
 * - kl_coef 0: no frozen reference copy (saves 2.9 GB of bf16 weights); the paper reports the
 *   KL term matters little next to the entropy bonus, which is kept.
 * - max_response_tokens 2048, micro_batch_size 2 with gradient checkpointing: a micro-batch's
 *   activations and log-prob logits stay under 1.5 GB; gradients accumulate, so the update is the
 *   same as one big batch.
 * - optimizer_state and rollout_wave_size are `auto`: the plan before the run (src/core/plan,
 *   `oneshot plan`) keeps fp32 master weights where they fit and the compact state where not.
 * - eval every 50 steps on a 200-problem subset keeps evaluation under ~10% of the time.
 * Memory (1.54 B parameters, `oneshot plan --preset local --gpu-memory 24`): the compact state is
 * about 9 bytes a parameter (bf16 weights, Kahan compensation, int8 first and bf16 second moment,
 * bf16 gradients: 13.0 GB), the KV cache of 64 rollouts × 2,112 columns 3.7 GB, a micro-batch's
 * checkpointed activations and log-prob logits 1.5 GB, slack 1.4 GB: a planned peak of 19.8 GB on a
 * 24 GB card (18.7 GB measured on an H200 capped at 24 GB). On 40 GB and up, auto keeps the fp32
 * state (22 bytes a parameter with AdamW's update: 37.8 GB planned).
 */
const local: TrainSettings = {
  ...paper,
  prompt_copies: 8,
  rollouts: 8,
  max_response_tokens: 2048,
  kl_coef: 0,
  prompt_suffix: "",
  micro_batch_size: 2,
  gradient_checkpointing: true,
  eval_every: 50,
  eval_subset: 200,
  eval_batch_size: 32,
  checkpoint_every: 50,
  keep_checkpoints: 2,
  steps: 500,
};

/**
 * `lora`: `local` with LoRA adapters of rank 32 on every linear layer (attention and MLP), for a
 * 1.5B model on one 12 GB card (e.g. RTX 3060 12 GB, RTX 4070). Rank 32 is verl's
 * recommended floor for RL and inside the range where "LoRA Without Regret" matched full fine-tuning;
 * every linear layer because adapting attention alone fell short there. alpha 32 (scale 1). lr
 * stays the preset's 1e-6 here: the LoRA rule makes it 1e-5 unless lr is set. Everything else is
 * `local`'s: the same 64 rollouts × 2,048 tokens, micro-batches of 2 with gradient checkpointing,
 * no KL term (with LoRA a reference would cost nothing: it is the base model with the adapters off).
 * Memory (`oneshot plan --preset lora --gpu-memory 12`, not yet measured): bf16 base weights 2.9 GB
 * with no state or gradients; 36.9 M adapter parameters × (4 weight + 8 AdamW + 4 gradient + 4
 * update bytes) = 0.7 GB; the KV cache of 64 rollouts × 2,112 columns 3.8 GB; a micro-batch's
 * checkpointed activations and log-prob logits 1.1 GB; slack 0.9 GB: a planned peak of 9.3 GB. On an
 * 8 GB card the auto waves halve (2 × 32 rollouts, 7.3 GB planned). A 7B model with
 * max_response_tokens 1024 plans at 22.3 GB (full fine-tuning: 70 GB, past a 40 GB card).
 */
const lora: TrainSettings = {
  ...local,
  lora_rank: 32,
};

/**
 * `cpu-demo`: the built-in tiny model (examples/models/tiny-math, 1.86M parameters) on the synthetic
 * benchmark, so the whole product can be tried on a laptop CPU in minutes. The numbers are the
 * synthetic-data work's tuned demo setting (engine/oneshot_tools/synthetic/README.md): 40 steps,
 * 4 copies × 8 rollouts, temperature 1.0, 96 new tokens, AdamW lr 1e-4 (wd 0.01, clip 1.0),
 * entropy 0.001, no KL, token-mean, greedy evaluation on all 320 problems at steps 0, 20 and 40.
 * With it, one equations example lifts the benchmark from 37.5% to ~74% (lr 1e-3 collapses the
 * model; 2e-4 slowly erodes it after saturation). fp32 throughout, so no master copy is needed.
 */
const cpuDemo: TrainSettings = {
  ...paper,
  model: "examples/models/tiny-math",
  steps: 40,
  prompt_copies: 4,
  rollouts: 8,
  temperature: 1,
  max_prompt_tokens: 256,
  max_response_tokens: 96,
  lr: 1e-4,
  weight_decay: 0.01,
  kl_coef: 0,
  entropy_coef: 0.001,
  micro_batch_size: 32,
  dtype: "float32",
  device: "cpu",
  devices: "auto",
  gradient_checkpointing: false,
  seed: 0,
  prompt_suffix: "",
  eval_every: 20,
  eval_benchmarks: ["synthetic"],
  eval_subset: null,
  eval_batch_size: 160,
  checkpoint_every: 20,
  keep_checkpoints: 2,
  log_rollouts: 8,
};

export const PRESETS: Readonly<Record<PresetName, Readonly<TrainSettings>>> = {
  paper,
  local,
  lora,
  "cpu-demo": cpuDemo,
};
