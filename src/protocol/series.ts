// Chart data of a run, column-wise, shared by the extension (which builds it) and the webview
// (which appends deltas and draws). Browser-safe: no Node imports.

/** Per-step metrics the dashboard charts, in the order of `StepMetrics` (src/core/run/events.ts). */
export const METRIC_KEYS = [
  "reward_mean",
  "reward_std",
  "accuracy",
  "zero_variance_groups",
  "groups",
  "entropy",
  "kl",
  "pg_loss",
  "loss",
  "grad_norm",
  "clip_fraction",
  "lr",
  "response_len_mean",
  "response_len_max",
  "truncated_fraction",
  "reflection_rate",
  "time_rollout_s",
  "time_reward_s",
  "time_train_s",
  "rollout_tokens_per_s",
  "peak_mem_gb",
] as const;

export type MetricKey = (typeof METRIC_KEYS)[number];

/** A missing metric is `null` (JSON has no NaN). */
export type Column = (number | null)[];

export interface EvalSeries {
  benchmark: string;
  metric: string;
  n: number;
  steps: number[];
  values: number[];
}

export interface SeriesData {
  steps: number[];
  /** Unix ms at which each step finished. */
  t: number[];
  metrics: Record<MetricKey, Column>;
  evals: EvalSeries[];
}

/** What was appended since a consumer's last read; `reset` means: drop yours first. */
export interface SeriesDelta extends SeriesData {
  reset: boolean;
}

export function emptySeries(): SeriesData {
  const metrics = {} as Record<MetricKey, Column>;
  for (const k of METRIC_KEYS) metrics[k] = [];
  return { steps: [], t: [], metrics, evals: [] };
}

/** Appends `delta` to `target` in place (after clearing it when the delta says reset). */
export function applyDelta(target: SeriesData, delta: SeriesDelta): SeriesData {
  if (delta.reset) {
    const fresh = emptySeries();
    target.steps = fresh.steps;
    target.t = fresh.t;
    target.metrics = fresh.metrics;
    target.evals = fresh.evals;
  }
  pushAll(target.steps, delta.steps);
  pushAll(target.t, delta.t);
  for (const k of METRIC_KEYS) pushAll(target.metrics[k], delta.metrics[k] ?? delta.steps.map(() => null));
  for (const e of delta.evals) {
    const have = target.evals.find((x) => x.benchmark === e.benchmark);
    if (!have) target.evals.push({ ...e, steps: [...e.steps], values: [...e.values] });
    else {
      have.metric = e.metric;
      have.n = e.n;
      pushAll(have.steps, e.steps);
      pushAll(have.values, e.values);
    }
  }
  return target;
}

// `push(...xs)` overflows the stack for long arrays.
function pushAll<T>(into: T[], xs: readonly T[]): void {
  for (let i = 0; i < xs.length; i++) into.push(xs[i]);
}

/**
 * Puts step metrics and sparse eval points on one x axis (the union of their steps), as charts
 * that share an axis need; a column has `null` where its series has no point. Linear in the
 * points for ascending steps (the usual case, merged like sorted lists); any order still works.
 */
export function alignOnSteps(
  steps: readonly number[],
  columns: readonly Column[],
  sparse: readonly { steps: readonly number[]; values: readonly (number | null)[] }[],
): { x: number[]; ys: Column[] } {
  if (!sparse.length && ascending(steps)) return { x: steps.slice(), ys: columns.map((c) => c.slice()) };
  const all = [steps, ...sparse.map((s) => s.steps)];
  const x = all.every(ascending) ? mergeUnique(all) : [...new Set(all.flat())].sort((a, b) => a - b);
  const place = (sx: readonly number[], sy: readonly (number | null)[]): Column => {
    const col: Column = new Array<number | null>(x.length).fill(null);
    if (ascending(sx)) {
      let j = 0;
      for (let i = 0; i < sx.length; i++) {
        while (x[j] < sx[i]) j++;
        col[j] = sy[i] ?? null;
      }
    } else {
      const pos = new Map<number, number>();
      x.forEach((v, i) => pos.set(v, i));
      for (let i = 0; i < sx.length; i++) col[pos.get(sx[i])!] = sy[i] ?? null;
    }
    return col;
  };
  return { x, ys: [...columns.map((c) => place(steps, c)), ...sparse.map((s) => place(s.steps, s.values))] };
}

function ascending(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i] > xs[i - 1])) return false;
  return true;
}

/** The sorted union of strictly ascending lists. */
function mergeUnique(lists: readonly (readonly number[])[]): number[] {
  const idx = lists.map(() => 0);
  const out: number[] = [];
  for (;;) {
    let min = Infinity;
    for (let k = 0; k < lists.length; k++) if (idx[k] < lists[k].length && lists[k][idx[k]] < min) min = lists[k][idx[k]];
    if (min === Infinity) return out;
    out.push(min);
    for (let k = 0; k < lists.length; k++) if (idx[k] < lists[k].length && lists[k][idx[k]] === min) idx[k]++;
  }
}
