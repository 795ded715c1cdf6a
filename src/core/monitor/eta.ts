// Time left in a run, from how long its recent steps took. The median of the last intervals
// ignores the occasional slow step (an evaluation, a checkpoint save) that would swing a mean.
const WINDOW = 20;

export function estimateEta(
  steps: readonly number[],
  times: readonly number[],
  totalSteps: number,
): number | null {
  const n = steps.length;
  if (n < 2 || totalSteps <= 0) return null;
  const remaining = totalSteps - steps[n - 1];
  if (remaining <= 0) return 0;
  const per: number[] = [];
  for (let i = Math.max(1, n - WINDOW); i < n; i++) {
    const ds = steps[i] - steps[i - 1];
    if (ds > 0) per.push((times[i] - times[i - 1]) / ds);
  }
  if (!per.length) return null;
  per.sort((a, b) => a - b);
  return Math.round(per[per.length >> 1] * remaining);
}

/** "1h 12m", "4m 05s", "35s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m ${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}
