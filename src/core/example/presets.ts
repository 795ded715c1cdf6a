// The three presets. A preset is a complete set of settings; the example's front matter and
// --set override single keys. Models given as relative paths are resolved against the project
// root (where examples/ lives), so `cpu-demo` works from any working directory.
import type { PresetName, TrainSettings } from "./config";

/** The paper's system prompt (also its evaluation prompt). */
export const PAPER_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}.";

/**
 * `paper`: the recipe that reproduced the headline result (arXiv 2504.20571, verl GRPO):
 * Qwen2.5-Math-1.5B, the example copied to 128 prompts × 8 rollouts, temperature 0.6,
 * 3072 response tokens, constant lr 1e-6 with AdamW (wd 0.01) on fp32 master weights, grad clip 1.0,
 * PPO clip 0.2, low_var_kl 0.001, entropy bonus 0.001, token-mean loss, one optimizer step per
 * rollout batch, 2000 steps, greedy MATH500 every 20 steps. Needs a large GPU (or several).
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
  fp32_master: true,
  clip_ratio_low: 0.2,
  clip_ratio_high: 0.2,
  kl_type: "low_var_kl",
  kl_coef: 0.001,
  entropy_coef: 0.001,
  loss_agg: "token-mean",
  mini_batches: 1,
  micro_batch_size: 16,
  rollout_wave_size: "auto",
  dtype: "bfloat16",
  device: "auto",
  gradient_checkpointing: true,
  seed: 1,
  system_prompt: PAPER_SYSTEM_PROMPT,
  prompt_template: null,
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
 * `local`: the same model and loss on one 24 GB GPU. What changes, and why:
 * - 16 prompt copies × 8 rollouts = 128 responses per step instead of 1024: rollout time and
 *   activation memory scale with it; the group size (8) and the loss stay the paper's.
 * - kl_coef 0: no frozen reference copy (saves ~3 GB of bf16 weights); the paper reports the
 *   KL term matters little next to the entropy bonus, which is kept.
 * - max_response_tokens 2048 and micro_batch_size 2 bound the activation peak; gradients
 *   accumulate, so the update is the same as one big batch. No blanket gradient checkpointing: the
 *   engine measures one layer's activations and checkpoints only the leading layers a micro-batch
 *   needs to fit (none for 64 × 1,024 tokens under a 40 GB cap; bench/README.md).
 * - eval every 50 steps on a 200-problem subset keeps evaluation under ~10% of the time.
 * Memory arithmetic (1.54 B parameters): bf16 weights 3.1 GB + fp32 master 6.2 GB + AdamW moments
 * 12.3 GB = 21.6 GB before activations. The engine today keeps plain fp32 AdamW state, and a
 * 1.5B step of 64 × 1,024 tokens peaked at 34.0 GB (bench/results/step-2026-11-22-run3.json,
 * H200), so this preset fits 24 GB only once the
 * engine keeps optimizer state compactly (bf16/8-bit moments or CPU offload); until then use a
 * smaller model on such a GPU (e.g. --set model=Qwen/Qwen2.5-0.5B-Instruct).
 */
const local: TrainSettings = {
  ...paper,
  prompt_copies: 16,
  rollouts: 8,
  max_response_tokens: 2048,
  kl_coef: 0,
  micro_batch_size: 2,
  gradient_checkpointing: false,
  eval_every: 50,
  eval_subset: 200,
  eval_batch_size: 32,
  checkpoint_every: 50,
  keep_checkpoints: 2,
  steps: 500,
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
  fp32_master: false,
  kl_coef: 0,
  entropy_coef: 0.001,
  micro_batch_size: 32,
  dtype: "float32",
  device: "cpu",
  gradient_checkpointing: false,
  seed: 0,
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
  "cpu-demo": cpuDemo,
};
