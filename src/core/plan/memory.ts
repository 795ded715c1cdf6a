// The memory arithmetic of one training step, phase by phase, mirroring what the engine allocates
// (engine/oneshot_engine: generate.py/decode.py for rollouts, train.py for the update). All sizes
// are bytes; the plan's text and JSON show GiB ("GB", as nvidia-smi and PyTorch count).
//
// Calibration. The per-token activation constant below is what train.measured_activation_bytes
// returned for the compiled training layer on an H200 (bench/results/activation-2026-12-02.json):
// 48.8 kB (0.5B), 73.3–74.1 kB (1.5B) and 159.0–159.4 kB (7B) per token and layer in bf16. The
// formula 2 bytes × (3·intermediate + (heads + 2·kv_heads)·head_dim + 6·hidden) gives 42.2, 76.3
// and 165.9 kB: the gate|up output, the SiLU product and the q|k|v output dominate, plus six
// hidden-sized tensors (the two norms' inputs and outputs, the attention output and the residual).
// The whole-step peaks this arithmetic predicts are checked against recorded measurements in
// test/unit/plan/calibration.test.ts.
import type { OptimizerState } from "./json";
import { kvBytesPerToken, paramCount, type ModelShape } from "./shape";

export const GIB = 1024 ** 3;
/** The decode runner's cache columns are a multiple of this (decode.py: aligned bias rows). */
const CACHE_ALIGN = 64;
/** triton_logp.CHUNK_BYTES: the fused log-prob's logits chunk in the model dtype. */
const TRITON_CHUNK_BYTES = 2 ** 29;
/** train.LOGITS_CHUNK_BYTES: the torch path's fp32 logits chunk; "backward holds a few of them". */
const TORCH_CHUNK_BYTES = 2 ** 28;
/** Allocator slack and the workspaces nothing above counts (cuBLAS, graph pools, fragmentation). */
export const SLACK_FRACTION = 0.05;
export const SLACK_FIXED = 0.5 * GIB;

export type { OptimizerState } from "./json";

export interface StepShape {
  shape: ModelShape;
  /** The model's dtype: 2 bytes (bf16/fp16) or 4 (fp32). */
  elem: 2 | 4;
  optimizerState: OptimizerState;
  /** A frozen reference copy is loaded (kl_coef ≠ 0). */
  reference: boolean;
  /** The step's rollouts: prompt_copies × rollouts. */
  rows: number;
  promptCopies: number;
  /** Rollouts decoded at once. */
  waveRows: number;
  promptTokens: number;
  responseTokens: number;
  microBatch: number;
  /** Leading layers checkpointed in the backward pass. */
  checkpointLayers: number;
  /** The GPU's fused Triton log-prob (else the torch path's fp32 chunks: the CPU). */
  triton: boolean;
  /** LoRA: the adapters' parameter count (src/core/example/lora.ts, adapterParams); 0 or absent: full fine-tuning. */
  adapterParams?: number;
  /** The engine frees the decode runner (KV cache, decode buffers) before training (engineTraining). */
  releasesKv?: boolean;
  /** Micro-batches keep their logits for backward instead of recomputing them (engineTraining). */
  keepsLogits?: boolean;
  /**
   * Engine processes under torchrun (default 1). Above 1 each keeps the full weights for decoding
   * and 1/ranks of the FSDP2-sharded training copy, its gradients and optimizer state (sharded.py);
   * `rows` are then one process's share.
   */
  ranks?: number;
}

/** Bytes per parameter of what stays between steps, and of what the update adds. */
export interface StateBytes {
  weights: number;
  /** Master copy / compensation buffer plus the moments. */
  state: number;
  /** Gradients as the optimizer keeps them (fp32 master grads, or bf16). */
  grads: number;
  /** Temporaries of the optimizer step. */
  update: number;
}

/**
 * fp32: bf16 weights, fp32 master (4) and AdamW moments (8), fp32 master gradients (4; the bf16
 * ones move into them as backward produces them), and the 4 bytes of torch AdamW's foreach update
 * (its sqrt(v) temporary). compact (engine/oneshot_engine/optim.py, CompactAdamW): bf16 weights, a
 * bf16 Kahan compensation buffer (2), the first moment as int8 codes of m / sqrt(v) with an fp32
 * scale per 256 (1 + 4/256), the second moment in bf16 (2), bf16 gradients (2); its update works in
 * chunks, so its temporaries are COMPACT_UPDATE_BYTES whatever the model. With fp32 weights both
 * are plain AdamW.
 */
export function stateBytes(elem: 2 | 4, state: OptimizerState): StateBytes {
  if (elem === 4) return { weights: 4, state: 8, grads: 4, update: 4 };
  if (state === "fp32") return { weights: 2, state: 12, grads: 4, update: 4 };
  return { weights: 2, state: 5 + 4 / 256, grads: 2, update: 0 };
}

/**
 * One process's share when `ranks` processes shard the training copy (FSDP2, sharded.py): the full
 * weights stay for decoding, and the sharded copy adds its own weights where the state holds none
 * (the fp32 state's master weights are that copy; fp32 weights and the compact state add theirs).
 */
function shardedBytes(b: StateBytes, elem: 2 | 4, state: OptimizerState, ranks: number): StateBytes {
  if (ranks <= 1) return b;
  const copy = elem === 2 && state === "fp32" ? 0 : elem;
  return { weights: b.weights, state: (b.state + copy) / ranks, grads: b.grads / ranks, update: b.update / ranks };
}

/** optim.CHUNK (2^24 elements) × the fp32 temporaries of one chunk's update (gradient, moments, weights, delta, noise ≈ 8). */
export const COMPACT_UPDATE_BYTES = 2 ** 24 * 4 * 8;

/** Bytes of one token in one layer kept for backward (see the calibration note above). */
export function activationBytesPerToken(s: ModelShape, elem: number): number {
  return elem * (3 * s.intermediate + (s.heads + 2 * s.kvHeads) * s.headDim + 6 * s.hidden);
}

export const cacheColumns = (promptTokens: number, responseTokens: number) => Math.ceil((promptTokens + responseTokens) / CACHE_ALIGN) * CACHE_ALIGN;

export interface Phase {
  [part: string]: number;
}

export interface StepMemory {
  rollout: Phase;
  training: Phase;
  optimizer_step: Phase;
}

/**
 * LoRA (a run with adapterParams): the base weights stay in the model's dtype with no master copy,
 * state or gradients; the adapters train in fp32 with plain AdamW (4 bytes of weights, 8 of moments,
 * 4 of gradients, 4 of the foreach update's temporary, as stateBytes(4, …)); the KL reference is
 * the base model with the adapters switched off, so it costs nothing. Activations are counted as
 * for full fine-tuning: the adapters' own (rank-sized) intermediates are small beside them.
 */
const LORA_STATE = stateBytes(4, "fp32");

/** What is resident in every phase: weights, optimizer state, the reference, the decode runner's buffers. */
function resident(x: StepShape) {
  const base = paramCount(x.shape);
  const lora = x.adapterParams ?? 0;
  // The parameters that train, and their bytes each: all of them, or the adapters alone.
  const n = lora > 0 ? lora : base;
  const b = lora > 0 ? LORA_STATE : shardedBytes(stateBytes(x.elem, x.optimizerState), x.elem, x.optimizerState, x.ranks ?? 1);
  const cols = cacheColumns(x.promptTokens, x.responseTokens);
  return {
    n,
    b,
    lora,
    weights: lora > 0 ? base * x.elem : n * b.weights,
    adapters: lora * LORA_STATE.weights,
    optimizer_state: n * b.state,
    reference: x.reference && lora === 0 ? n * x.elem : 0,
    // The runner keeps its static cache between calls (runtime.decode_runner), so it stays through training.
    kv_cache: x.waveRows * cols * kvBytesPerToken(x.shape, x.elem),
    // Sampling noise [rows, vocab] fp32, tokens out [rows, cols] int64, padding bias [rows, cols].
    decode_state: x.waveRows * (x.shape.vocab * 4 + cols * (8 + x.elem)),
  };
}

/** Tokens of the largest micro-batch: every row at full length (the worst case a plan must fit). */
export const microTokens = (x: Pick<StepShape, "microBatch" | "rows" | "promptTokens" | "responseTokens">) =>
  Math.min(x.microBatch, x.rows) * (x.promptTokens + x.responseTokens);

export function stepMemory(x: StepShape): StepMemory {
  const r = resident(x);
  const s = x.shape;
  const base = { weights: r.weights, ...(r.lora > 0 ? { adapters: r.adapters } : {}), optimizer_state: r.optimizer_state, reference: r.reference, kv_cache: r.kv_cache };
  // Freed before training, the runner comes back with the next rollout.
  const trainBase = x.releasesKv ? { ...base, kv_cache: 0 } : base;
  const trainDecode = x.releasesKv ? 0 : r.decode_state;
  // Logits of the wave's last position (model dtype, then fp32 for sampling) and the prefill's own cache.
  const transient = x.waveRows * s.vocab * (x.elem + 4) + Math.min(x.promptCopies, x.waveRows) * x.promptTokens * kvBytesPerToken(s, x.elem);
  const tokens = microTokens(x);
  const a = activationBytesPerToken(s, x.elem);
  const c = Math.min(x.checkpointLayers, s.layers);
  const activations = tokens * ((s.layers - c) * a + c * x.elem * s.hidden) + (c > 0 ? tokens * a : 0);
  let logits: number;
  if (x.keepsLogits) {
    logits = keptLogitsBytes(x);
  } else if (x.triton) {
    const most = Math.max(1, Math.floor(TRITON_CHUNK_BYTES / (x.elem * s.vocab)));
    const chunkRows = Math.ceil(tokens / Math.ceil(tokens / most));
    logits = chunkRows * s.vocab * x.elem;
  } else {
    logits = Math.min(4 * TORCH_CHUNK_BYTES, tokens * s.vocab * 4 * 4);
  }
  // The output embedding's gradient, whole, before it moves into the optimizer's gradient buffer (frozen under LoRA).
  if (r.lora === 0) logits += s.vocab * s.hidden * x.elem;
  return {
    rollout: { ...base, decode_buffers: r.decode_state + transient },
    training: { ...trainBase, decode_buffers: trainDecode, gradients: r.n * r.b.grads, activations, logits },
    optimizer_step: { ...trainBase, decode_buffers: trainDecode, gradients: r.n * r.b.grads, update: r.lora === 0 && x.elem === 2 && x.optimizerState === "compact" ? COMPACT_UPDATE_BYTES : r.n * r.b.update },
  };
}

export const phaseTotal = (p: Phase) => Object.values(p).reduce((a, b) => a + b, 0);

export interface Peak {
  phase: keyof StepMemory;
  /** The largest phase's bytes. */
  raw: number;
  slack: number;
  /** raw + slack. */
  bytes: number;
}

export function peakOf(m: StepMemory): Peak {
  const phases = Object.keys(m) as (keyof StepMemory)[];
  const phase = phases.reduce((best, p) => (phaseTotal(m[p]) > phaseTotal(m[best]) ? p : best), phases[0]);
  const raw = phaseTotal(m[phase]);
  const slack = raw * SLACK_FRACTION + SLACK_FIXED;
  return { phase, raw, slack, bytes: raw + slack };
}

/**
 * The engine's leading-layer rule (train.layers_to_checkpoint / layers_that_fit) with gradient
 * checkpointing off: checkpoint the fewest leading layers so the micro-batch's activations fit
 * in what is left of `cardBytes` after what is allocated when training starts (less `freed`
 * bytes: the decode runner, when engineTraining asks), its reserve (4 logits chunks, the gradient
 * buffers, 1 GiB) and this plan's slack. The engine measures a layer; this uses the per-token
 * constant. Only on a GPU: the CPU never checkpoints on its own.
 */
export function engineCheckpointLayers(x: StepShape, cardBytes: number, freed = 0): number {
  const r = resident(x);
  const s = x.shape;
  const allocated = r.weights + r.adapters + r.optimizer_state + r.reference + r.kv_cache + r.decode_state - freed;
  const reserve = 4 * TORCH_CHUNK_BYTES + r.b.grads * r.n + GIB;
  const budget = cardBytes - allocated - reserve - (SLACK_FRACTION * cardBytes + SLACK_FIXED);
  const tokens = microTokens(x);
  const full = activationBytesPerToken(s, x.elem);
  const need = tokens * full * s.layers;
  if (need <= budget) return 0;
  return Math.min(s.layers, Math.ceil((need - budget) / (tokens * (full - x.elem * s.hidden))));
}

/** kv_release.RELEASE_MIN_FLOPS: recomputation a freed decode cache must save to be worth its new graphs. */
export const RELEASE_MIN_FLOPS = 1e15;

/** Weights of one decoder layer's matrix products (kv_release.layer_matmul_params). */
export function layerMatmulParams(s: ModelShape): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  return s.hidden * q + 2 * s.hidden * kv + q * s.hidden + 3 * s.hidden * s.intermediate;
}

/**
 * The engine's training-pass memory rule with gradient checkpointing off (train.Trainer.step with
 * kv_release.release_decoder_if_it_pays): the leading layers it checkpoints beside the rollout's
 * decode runner, unless freeing the runner first saves layers worth RELEASE_MIN_FLOPS of
 * recomputation over the batch's tokens; then the layers it checkpoints without it.
 */
export function engineTraining(x: StepShape, cardBytes: number): { checkpointLayers: number; releasesKv: boolean; keepsLogits: boolean } {
  const held = engineCheckpointLayers(x, cardBytes);
  const r = resident(x);
  let layers = held;
  let releasesKv = false;
  if (held > 0) {
    const free = engineCheckpointLayers(x, cardBytes, r.kv_cache + r.decode_state);
    const tokens = x.rows * (x.promptTokens + x.responseTokens);
    releasesKv = held > free && 2 * layerMatmulParams(x.shape) * tokens * (held - free) >= RELEASE_MIN_FLOPS;
    if (releasesKv) layers = free;
  }
  // train.keep_logits_fits: keep the logits only when no layer is checkpointed with them kept.
  const freed = releasesKv ? r.kv_cache + r.decode_state : 0;
  const keepsLogits = x.triton && layers === 0 && engineCheckpointLayers(x, cardBytes, freed - keptLogitsBytes(x)) === 0;
  return { checkpointLayers: layers, releasesKv, keepsLogits };
}

/** train.kept_logits_bytes: a micro-batch's logits kept for backward (rows × response tokens × vocabulary). */
export const keptLogitsBytes = (x: StepShape) => Math.min(x.microBatch, x.rows) * x.responseTokens * x.shape.vocab * x.elem;
