// How many rollouts the engine generates at once (generate's rollout_wave_size): the one place the
// setting's `auto` is resolved. An integer passes through; `auto` is the wave the run's memory plan
// chose (config.json's `plan`, made by `oneshot train`), and all rows at once (null) for a run
// without a plan (a CPU run, or a model whose config.json was not on the machine before it ran).
import type { TrainSettings } from "../example/config";
import { cacheColumns } from "../plan/memory";
import type { RunPlan } from "../plan/record";

/** A generate call other than the training step's (an evaluation batch). */
export interface WaveCall {
  rows: number;
  promptTokens: number;
  max_response_tokens: number;
}

/**
 * The wave size to send with generate, or null for all rows at once. The training step gets the
 * plan's wave; another call gets as many rows as fit the cache that wave was given (its columns
 * differ: evaluation generates longer answers to longer prompts).
 */
export function resolveWaveRows(
  s: Pick<TrainSettings, "rollout_wave_size">,
  plan?: Pick<RunPlan, "resolved" | "rollouts" | "prompt_tokens" | "max_response_tokens">,
  call?: WaveCall,
): number | null {
  if (s.rollout_wave_size !== "auto") return s.rollout_wave_size;
  if (!plan) return null;
  const planned = plan.resolved.rollout_wave_size;
  if (!call) return planned >= plan.rollouts ? null : planned;
  const tokens = planned * cacheColumns(plan.prompt_tokens, plan.max_response_tokens);
  const rows = Math.max(1, Math.floor(tokens / cacheColumns(call.promptTokens, call.max_response_tokens)));
  return rows >= call.rows ? null : rows;
}

/** generate's wave field for `rows` (absent for all at once). */
export function waveParams(rows: number | null): { rollout_wave_size?: number } {
  return rows === null ? {} : { rollout_wave_size: rows };
}
