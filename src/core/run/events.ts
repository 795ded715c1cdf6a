// The event schema of a run's `events.jsonl`: the one declaration every writer and reader uses
// (controller, CLI, extension, webview). Append-only; one JSON object per line.
// Readers ignore unknown `type`s and tolerate a torn last line, so adding a type or an optional
// field is compatible; renaming or removing one bumps SCHEMA_VERSION.

import type { RunPlan } from "../plan/json";
import type { EngineOptions } from "../engine/protocol.js";

export const SCHEMA_VERSION = 1;

export type RunStatus = "running" | "completed" | "stopped" | "failed";
/** What a reader concludes: a `running` run whose process is gone is `interrupted`. */
export type ObservedRunStatus = RunStatus | "interrupted";

interface EventBase {
  /** Schema version. */
  v: number;
  /** Unix time in milliseconds. */
  t: number;
}

export interface RunStartedEvent extends EventBase {
  type: "run_started";
  run_id: string;
  /** Path of the example file the run trains on, as given. */
  example: string;
  model: string;
  preset: string;
  total_steps: number;
  /**
   * Step the run starts from: 0, or the checkpoint step when resumed. On resume, `step`, `rollouts`
   * and `eval` events written earlier for steps after `start_step` are superseded by the new ones.
   */
  start_step: number;
  resumed: boolean;
  pid: number;
  /**
   * Engine facts reported at load: device name, dtype, parameter count, and the kernel options in
   * effect on that device (which kernels produced the run; absent in runs of older engines).
   */
  engine?: { device: string; dtype: string; params: number; version?: string; options?: EngineOptions };
  /** The training prompt as the model sees it (chat template applied) and its length in tokens (absent in older runs). */
  prompt?: { text: string; tokens: number };
  /** The memory plan the run was started with (config.json's `plan`), when one was made. */
  plan?: RunPlan;
  /** Engine processes of this start, all machines together (1: the engine alone; absent in older runs). */
  world_size?: number;
}

/** Metrics of one optimizer step. Fractions are in [0, 1]; times in seconds. */
export interface StepMetrics {
  reward_mean: number;
  reward_std: number;
  /** Fraction of rollouts graded correct. */
  accuracy: number;
  /** Groups whose rewards were all equal (zero advantage, no learning signal). */
  zero_variance_groups: number;
  groups: number;
  entropy: number;
  kl: number;
  pg_loss: number;
  loss: number;
  grad_norm: number;
  clip_fraction: number;
  lr: number;
  response_len_mean: number;
  response_len_max: number;
  /** Fraction of rollouts that hit the token limit. */
  truncated_fraction: number;
  /** Self-reflection words ("rethink", "recheck", "recalculate", "wait") per 1,000 response words. */
  reflection_rate: number;
  time_rollout_s: number;
  /** The wait for rewards after generation ended (rows graded while others still decoded are not in it). */
  time_reward_s: number;
  time_train_s: number;
  /** Generated tokens per second during the rollout phase. */
  rollout_tokens_per_s: number;
  /** The step's peak memory in GiB (GPU allocated, or the CPU process's peak RSS): the larger of generation's and training's. */
  peak_mem_gb?: number;
  /** Generation's part of it: the peak while the rollouts were generated. */
  rollout_peak_mem_gb?: number;
}

export interface StepEvent extends EventBase, StepMetrics {
  type: "step";
  /** 1-based index of the optimizer step just finished. */
  step: number;
  total_steps: number;
}

export type FinishReason = "stop" | "length" | "stop_string";

export interface RolloutRecord {
  /** Index of the rollout within its step. */
  index: number;
  /** Which prompt copy (GRPO group) it belongs to. */
  group: number;
  text: string;
  reward: number;
  correct: boolean;
  extracted: string | null;
  advantage: number;
  tokens: number;
  finish_reason: FinishReason;
  /** Verifier's explanation, e.g. why an answer did not match. */
  reason?: string;
}

export interface RolloutsEvent extends EventBase {
  type: "rollouts";
  step: number;
  prompt: string;
  answer: string;
  rollouts: RolloutRecord[];
  /** How many rollouts the step produced (the record may hold a sample of them). */
  total: number;
}

export interface EvalEvent extends EventBase {
  type: "eval";
  step: number;
  benchmark: string;
  /** e.g. "acc" (greedy) or "avg@8". */
  metric: string;
  value: number;
  /** Number of problems scored. */
  n: number;
  /** Per-sub-skill (or per-subject) scores when the benchmark has them. */
  breakdown?: Record<string, { value: number; n: number }>;
  /** Path, relative to the run directory, of the per-problem results JSONL. */
  results_file?: string;
  time_s?: number;
}

export interface CheckpointEvent extends EventBase {
  type: "checkpoint";
  step: number;
  /** Path relative to the run directory, e.g. "checkpoints/step-20". */
  path: string;
  reason: "interval" | "best" | "final" | "stop";
  /** Holds the optimizer state and RNG too, so `oneshot train --resume` can continue from it. */
  resumable?: boolean;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogEvent extends EventBase {
  type: "log";
  level: LogLevel;
  message: string;
  source?: "controller" | "engine" | "verifier";
}

/**
 * What a starting run is doing before its first step (engine start, model load, kernel compilation,
 * the step-0 evaluation), so a watcher sees progress instead of "step 0". The latest one holds
 * until the next phase or the first `step` event.
 */
export interface PhaseEvent extends EventBase {
  type: "phase";
  phase: "starting" | "loading" | "compiling" | "evaluating" | "training";
  /** Progress within the phase, when it has any: weight files read, problems evaluated. */
  done?: number;
  total?: number;
  unit?: "files" | "problems";
  /** e.g. the benchmark being evaluated, or the model being loaded. */
  detail?: string;
}

export interface RunFinishedEvent extends EventBase {
  type: "run_finished";
  status: Exclude<RunStatus, "running">;
  steps_done: number;
  error?: string;
  /** What the user can do about the error. */
  hint?: string;
}

export type RunEvent =
  | RunStartedEvent
  | StepEvent
  | RolloutsEvent
  | EvalEvent
  | CheckpointEvent
  | LogEvent
  | PhaseEvent
  | RunFinishedEvent;

export type RunEventType = RunEvent["type"];

/** An event as written, before the envelope fields are filled in. */
export type RunEventInput<E extends RunEvent = RunEvent> = E extends RunEvent ? Omit<E, "v" | "t"> : never;

export const EVENT_TYPES: readonly RunEventType[] = [
  "run_started",
  "step",
  "rollouts",
  "eval",
  "checkpoint",
  "log",
  "phase",
  "run_finished",
];

export function isRunEvent(value: unknown): value is RunEvent {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Record<string, unknown>;
  return typeof o.v === "number" && typeof o.t === "number" && EVENT_TYPES.includes(o.type as RunEventType);
}

/** `summary.json`, written at the end of a run and refreshed at each evaluation. */
export interface BenchmarkSummary {
  metric: string;
  n: number;
  initial: number | null;
  best: number | null;
  best_step: number | null;
  final: number | null;
  final_step: number | null;
}

export interface RunSummary {
  status: ObservedRunStatus;
  steps: number;
  total_steps: number;
  benchmarks: Record<string, BenchmarkSummary>;
  error?: string;
  hint?: string;
  run_id?: string;
  /** Last step's training reward and accuracy. */
  reward_mean?: number;
  accuracy?: number;
  /** Checkpoint with the best score on the first benchmark, relative to the run directory. */
  best_checkpoint?: string;
  last_checkpoint?: string;
  /** Unix ms of the last update. */
  updated?: number;
}
