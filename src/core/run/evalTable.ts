// The before/after table of a run's evaluations per benchmark and sub-skill, as `oneshot train`
// prints at the end (and `npm run demo` shows): the first evaluation against the last one.
import type { EvalEvent, RunEvent } from "./events";
import { formatTable } from "../text/table";
import { supersede } from "./summary";

export interface EvalTableRow {
  benchmark: string;
  /** "all" for the benchmark as a whole, else the sub-skill. */
  group: string;
  n: number;
  before: number;
  after: number;
}

export function evalTable(events: readonly RunEvent[]): { rows: EvalTableRow[]; firstStep: number; lastStep: number } | undefined {
  const evals = supersede(events).filter((e): e is EvalEvent => e.type === "eval");
  if (evals.length < 2) return undefined;
  const rows: EvalTableRow[] = [];
  let firstStep = Infinity;
  let lastStep = -Infinity;
  for (const benchmark of [...new Set(evals.map((e) => e.benchmark))]) {
    const mine = evals.filter((e) => e.benchmark === benchmark);
    const first = mine.reduce((a, b) => (b.step < a.step ? b : a));
    const last = mine.reduce((a, b) => (b.step >= a.step ? b : a));
    if (first === last) continue;
    firstStep = Math.min(firstStep, first.step);
    lastStep = Math.max(lastStep, last.step);
    rows.push({ benchmark, group: "all", n: last.n, before: first.value, after: last.value });
    for (const [group, v] of Object.entries(last.breakdown ?? {})) {
      const b = first.breakdown?.[group];
      if (b) rows.push({ benchmark, group, n: v.n, before: b.value, after: v.value });
    }
  }
  return rows.length ? { rows, firstStep, lastStep } : undefined;
}

/** Plain-text table, one row per benchmark and sub-skill, points of change signed. */
export function formatEvalTable(t: NonNullable<ReturnType<typeof evalTable>>): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const header = ["benchmark", "sub-skill", "n", `step ${t.firstStep}`, `step ${t.lastStep}`, "change"];
  const body = t.rows.map((r) => {
    const d = 100 * (r.after - r.before);
    return [r.benchmark, r.group, String(r.n), pct(r.before), pct(r.after), `${d >= 0 ? "+" : ""}${d.toFixed(1)} pts`];
  });
  return formatTable([header, ...body], ["left", "left", "right", "right", "right", "right"]);
}
