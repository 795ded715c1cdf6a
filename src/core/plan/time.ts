// A step-time estimate from two datasheet rates (gpu.ts), in the worst case where every rollout
// runs to max_response_tokens. Rollouts are bandwidth-bound: each decode step reads the weights
// once per wave and the cache's live columns of every row; training is compute-bound at ≈ 6 FLOPs
// per parameter and token (+2 for a recomputed layer, +2 for each extra forward: the reference,
// old log-probs). The efficiencies are calibrated on the H200 records (bench/results/
// step-2026-11-22-run3.json, train-smoke-2026-12-02-final.json): decode at 30% of the bandwidth for
// weight reads (small batches are latency-bound) and 80% for cache reads, training at 45% of the
// bf16 rate plus 0.7 ms of host dispatch per layer and micro-batch. Attention FLOPs, rewards and
// evaluation are not counted.
import type { GpuRates } from "./gpu";
import type { StepShape } from "./memory";
import { kvBytesPerToken, matmulParams, paramCount } from "./shape";

const WEIGHT_READ_EFFICIENCY = 0.3;
const CACHE_READ_EFFICIENCY = 0.8;
const MATMUL_EFFICIENCY = 0.45;
const DISPATCH_S_PER_LAYER = 0.0007;

export interface StepTime {
  rollout_s: number;
  training_s: number;
  optimizer_s: number;
  total_s: number;
}

export function stepTime(x: StepShape, rates: GpuRates, miniBatches: number): StepTime {
  const s = x.shape;
  const n = paramCount(s);
  const mm = matmulParams(s);
  const T = x.responseTokens;
  const kv = kvBytesPerToken(s, x.elem);
  const weightBytes = n * x.elem;
  let rollout = 0;
  for (let done = 0; done < x.rows; done += x.waveRows) {
    const b = Math.min(x.waveRows, x.rows - done);
    // Cache columns read over the wave: the prompt at every step, plus the growing response.
    const cacheBytes = b * kv * (T * x.promptTokens + (T * T) / 2);
    const bandwidthS = (T * weightBytes) / (rates.bandwidth * WEIGHT_READ_EFFICIENCY) + cacheBytes / (rates.bandwidth * CACHE_READ_EFFICIENCY);
    const computeS = (2 * mm * b * T) / (rates.flops * MATMUL_EFFICIENCY);
    rollout += Math.max(bandwidthS, computeS);
  }
  const tokens = x.rows * (x.promptTokens + T);
  const recompute = Math.min(x.checkpointLayers, s.layers) / s.layers;
  const forwards = (x.reference ? 1 : 0) + (miniBatches > 1 ? 1 : 0);
  // LoRA: backward computes the activations' gradients only (2 of the 4 FLOPs); the adapters' are small.
  const lora = (x.adapterParams ?? 0) > 0;
  const flops = ((lora ? 4 : 6) + 2 * recompute + 2 * forwards) * mm * tokens;
  const micro = Math.ceil(x.rows / Math.min(x.microBatch, x.rows)) * (1 + forwards);
  const training = flops / (rates.flops * MATMUL_EFFICIENCY) + micro * s.layers * DISPATCH_S_PER_LAYER;
  // AdamW reads and writes weights, state and gradients a few times per mini-batch.
  const optimizer = (miniBatches * 64 * (lora ? (x.adapterParams ?? 0) : n)) / (rates.bandwidth * CACHE_READ_EFFICIENCY);
  return { rollout_s: rollout, training_s: training, optimizer_s: optimizer, total_s: rollout + training + optimizer };
}
