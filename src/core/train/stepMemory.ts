// A step's memory in its event: generation and training each report their peak (generate's and
// train_step's peak_mem_gb); the step's peak is the larger, and generation's is kept beside it.

/** The step event's memory fields (a peak of 0 or none is not reported). */
export function stepPeak(rolloutGb: number | undefined, trainGb: number | undefined): { peak_mem_gb?: number; rollout_peak_mem_gb?: number } {
  const peak = Math.max(rolloutGb ?? 0, trainGb ?? 0);
  return { ...(peak > 0 ? { peak_mem_gb: peak } : {}), ...(rolloutGb ? { rollout_peak_mem_gb: rolloutGb } : {}) };
}
