// The plan of one run on one card: what `auto` settings become, each phase's memory, the step's
// peak and time, and whether it fits. `oneshot plan`, `oneshot train` (which refuses a plan that
// does not fit before anything is created) and the editor all call planRun.
import { fmtGb, type Card } from "./gpu";
import type { Resolved } from "./json";
import { engineTraining, GIB, peakOf, stepMemory, type OptimizerState, type Peak, type StepMemory, type StepShape } from "./memory";
import { paramCount, type ModelShape } from "./shape";
import { adapterParams, type ALL_LINEAR, type LoraTarget } from "./lora";
import { stepTime, type StepTime } from "./time";

export type { Resolved } from "./json";

export type OptimizerStateSetting = OptimizerState | "auto";
export type WaveSetting = number | "auto";

/** The settings a plan reads (TrainSettings' names; the two new ones optional until every file has them). */
export interface PlanSettings {
  prompt_copies: number;
  rollouts: number;
  max_prompt_tokens: number;
  max_response_tokens: number;
  kl_coef: number;
  mini_batches: number;
  micro_batch_size: number;
  dtype: "bfloat16" | "float16" | "float32";
  gradient_checkpointing: boolean;
  optimizer_state?: OptimizerStateSetting;
  rollout_wave_size?: WaveSetting;
  /** LoRA (absent or 0: full fine-tuning). */
  lora_rank?: number;
  lora_targets?: LoraTarget[] | typeof ALL_LINEAR;
}

export interface PlanInput {
  settings: PlanSettings;
  shape: ModelShape;
  card: Card;
  /** The prompt's tokens (estimatePromptTokens). */
  promptTokens: number;
  /** Engine processes of the run (devices × machines, default 1); the plan is then per process. */
  ranks?: number;
}

export interface Plan {
  input: PlanInput;
  params: number;
  /** LoRA's trained parameters (0: full fine-tuning trains all of `params`). */
  adapterParams: number;
  rows: number;
  resolved: Resolved;
  memory: StepMemory;
  peak: Peak;
  fits: boolean;
  time: StepTime;
  /** Why each auto setting became what it did, in settings' words. */
  notes: string[];
}

/** Decode at fewer rollouts than this leaves the GPU reading weights for little work: auto keeps fp32 only when waves stay at least this big. */
export const MIN_USEFUL_WAVE = 64;
/** Auto waves fill at most this share of the card, so a plan they make is not one the editor warns about. */
export const AUTO_SHARE = 0.95;

/** Tokens of a prompt of `chars` characters: ≈3 characters a token for English/LaTeX, plus the chat template's turns. */
export const tokensOfChars = (chars: number) => Math.ceil(chars / 3) + 24;

/** Prompt tokens from the text the model sees, at most max_prompt_tokens. */
export function estimatePromptTokens(text: string, maxPromptTokens: number): number {
  return Math.min(maxPromptTokens, tokensOfChars(text.length));
}

export const rowsOf = (s: PlanSettings) => s.prompt_copies * s.rollouts;

/** One process's rows: every process generates its share of each prompt copy's rollouts (distributed.py). */
export const rankRowsOf = (s: PlanSettings, ranks = 1) => s.prompt_copies * Math.ceil(s.rollouts / ranks);

function stepShape(p: PlanInput, state: OptimizerState, wave: number): StepShape {
  const s = p.settings;
  const rows = rankRowsOf(s, p.ranks);
  const gpu = p.card.kind === "gpu";
  const x: StepShape = {
    shape: p.shape,
    elem: s.dtype === "float32" ? 4 : 2,
    optimizerState: state,
    reference: s.kl_coef !== 0,
    rows,
    promptCopies: s.prompt_copies,
    waveRows: Math.max(1, Math.min(wave, rows)),
    promptTokens: p.promptTokens,
    responseTokens: s.max_response_tokens,
    microBatch: Math.min(s.micro_batch_size, rows),
    checkpointLayers: 0,
    triton: gpu,
    adapterParams: adapterParams(p.shape, { lora_rank: s.lora_rank ?? 0, lora_targets: s.lora_targets ?? "all-linear" }),
    ranks: p.ranks ?? 1,
  };
  // gradient_checkpointing checkpoints every layer; without it the engine's rule picks leading layers
  // (GPU only), after freeing the rollout's KV cache when that saves enough of them.
  if (s.gradient_checkpointing) x.checkpointLayers = p.shape.layers;
  else if (gpu) Object.assign(x, engineTraining(x, p.card.memoryGb * GIB));
  return x;
}

function evaluate(p: PlanInput, state: OptimizerState, wave: number, share = 1) {
  const x = stepShape(p, state, wave);
  const memory = stepMemory(x);
  const peak = peakOf(memory);
  return { x, memory, peak, fits: peak.bytes <= share * p.card.memoryGb * GIB };
}

/**
 * The largest wave (1 … rows) whose step stays within AUTO_SHARE of the card (within the whole
 * card when no wave does), or 0 when not even one rollout at a time fits.
 */
function largestWave(p: PlanInput, state: OptimizerState): number {
  const rows = rankRowsOf(p.settings, p.ranks);
  for (const share of [AUTO_SHARE, 1]) {
    if (evaluate(p, state, rows, share).fits) return rows;
    let lo = 0;
    let hi = rows;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (evaluate(p, state, mid, share).fits) lo = mid;
      else hi = mid;
    }
    if (lo > 0) return lo;
  }
  return 0;
}

/** Waves of even size no larger than `most`: 64 rows under a limit of 59 are two waves of 32, not 59 and 5 (each wave decodes the full length). */
export function balanced(rows: number, most: number): number {
  return most <= 0 ? 0 : Math.ceil(rows / Math.ceil(rows / most));
}

const n = (v: number) => v.toLocaleString("en-US");

export function planRun(p: PlanInput): Plan {
  const s = p.settings;
  const rows = rankRowsOf(s, p.ranks);
  const stateSetting = s.optimizer_state ?? "auto";
  const waveSetting = s.rollout_wave_size ?? "auto";
  const notes: string[] = [];
  const fp32Weights = s.dtype === "float32";
  const waveFor = (state: OptimizerState) => (waveSetting === "auto" ? balanced(rows, largestWave(p, state)) : Math.min(waveSetting, rows));

  let state: OptimizerState;
  let wave: number;
  if (stateSetting !== "auto") {
    state = stateSetting;
    wave = waveFor(state);
  } else if ((s.lora_rank ?? 0) > 0) {
    state = "fp32";
    wave = waveFor(state);
    notes.push("optimizer_state auto → fp32: LoRA adapters train in fp32 with plain AdamW; the frozen base weights have no optimizer state");
  } else if (fp32Weights) {
    state = "fp32";
    wave = waveFor(state);
    notes.push("optimizer_state auto → fp32: the weights are fp32, so the optimizer is plain fp32 AdamW");
  } else {
    const fp32Wave = waveFor("fp32");
    const fp32Fits = fp32Wave > 0 && evaluate(p, "fp32", fp32Wave).fits && (waveSetting !== "auto" || fp32Wave >= Math.min(rows, MIN_USEFUL_WAVE));
    state = fp32Fits ? "fp32" : "compact";
    wave = fp32Fits ? fp32Wave : waveFor("compact");
    notes.push(
      fp32Fits
        ? "optimizer_state auto → fp32: fp32 master weights and AdamW moments fit beside the rollouts"
        : `optimizer_state auto → compact: the fp32 state would not fit ${fmtGb(p.card.memoryGb)}${waveSetting === "auto" ? ` with waves of at least ${n(Math.min(rows, MIN_USEFUL_WAVE))} rollouts` : ""}`,
    );
  }
  const e = evaluate(p, state, Math.max(wave, 1));
  if (waveSetting === "auto") {
    if (wave >= rows) notes.push(`rollout_wave_size auto → ${n(rows)}: all rollouts at once`);
    else if (wave > 0) notes.push(`rollout_wave_size auto → ${n(wave)}: ${n(rows)} rollouts in ${Math.ceil(rows / wave)} waves`);
  }
  if (wave > 0 && wave < Math.min(rows, MIN_USEFUL_WAVE)) {
    notes.push(`waves of ${n(wave)} rollouts decode slowly: fewer prompt_copies or a shorter max_response_tokens would leave room for larger waves`);
  }
  const ckpt = e.x.checkpointLayers;
  if (e.x.releasesKv) notes.push(`the engine frees the rollouts' KV cache (${fmtGb(e.memory.rollout.kv_cache / GIB)}) before training, so fewer layers are recomputed`);
  if (!s.gradient_checkpointing && ckpt > 0) notes.push(`the engine will checkpoint ${ckpt} of ${p.shape.layers} layers so a micro-batch's activations fit`);
  return {
    input: p,
    params: paramCount(p.shape),
    adapterParams: e.x.adapterParams ?? 0,
    rows,
    resolved: { optimizer_state: state, rollout_wave_size: e.x.waveRows, micro_batch_size: e.x.microBatch, checkpoint_layers: ckpt },
    memory: e.memory,
    peak: e.peak,
    fits: wave > 0 && e.fits,
    time: stepTime(e.x, p.card.rates, s.mini_batches),
    notes,
  };
}
