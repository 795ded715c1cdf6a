// Metrics export: one CSV row per step (eval columns filled at the steps they were measured) or a
// JSON document with the series as the dashboard has them. Browser-safe.
import { alignOnSteps, METRIC_KEYS, type SeriesData } from "../../protocol/series";

export function seriesToCsv(s: SeriesData): string {
  const evalCols = s.evals.map((e) => `eval_${e.benchmark}_${e.metric}`);
  const { x, ys } = alignOnSteps(
    s.steps,
    [s.t, ...METRIC_KEYS.map((k) => s.metrics[k])],
    s.evals,
  );
  const header = ["step", "time_ms", ...METRIC_KEYS, ...evalCols].map(csvCell).join(",");
  const rows = x.map((step, i) => [step, ...ys.map((c) => c[i])].map(csvCell).join(","));
  return [header, ...rows].join("\n") + "\n";
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface MetricsExport {
  run: string;
  exported_at: string;
  steps: Record<string, number | null>[];
  evals: { benchmark: string; metric: string; n: number; points: { step: number; value: number }[] }[];
}

export function seriesToJson(runId: string, s: SeriesData, now = new Date()): MetricsExport {
  return {
    run: runId,
    exported_at: now.toISOString(),
    steps: s.steps.map((step, i) => {
      const row: Record<string, number | null> = { step, time_ms: s.t[i] ?? null };
      for (const k of METRIC_KEYS) row[k] = s.metrics[k][i] ?? null;
      return row;
    }),
    evals: s.evals.map((e) => ({
      benchmark: e.benchmark,
      metric: e.metric,
      n: e.n,
      points: e.steps.map((step, i) => ({ step, value: e.values[i] })),
    })),
  };
}
