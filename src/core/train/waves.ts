// How many rollouts the engine generates at once (generate's rollout_wave_size): the one place the
// setting's `auto` is resolved. The memory planner decides it; until it does, `auto` is all rows at
// once (null), today's behaviour, and an integer passes through.
import type { TrainSettings } from "../example/config";

/** The wave size to send with generate, or null for all rows at once. */
export function resolveWaveRows(s: Pick<TrainSettings, "rollout_wave_size">): number | null {
  return s.rollout_wave_size === "auto" ? null : s.rollout_wave_size;
}

/** generate's wave field for `rows` (absent for all at once). */
export function waveParams(rows: number | null): { rollout_wave_size?: number } {
  return rows === null ? {} : { rollout_wave_size: rows };
}
