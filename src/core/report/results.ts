// The dashboard's Results tab from a run's report data: the before/after table per benchmark and
// sub-skill and the problems that flipped, the same numbers `oneshot report` writes.
import type { RunResults } from "../../protocol/messages";
import type { ReportData } from "./collect";

export function runResults(d: ReportData): RunResults {
  const flips = d.benchmarks.flatMap((b) =>
    b.flips && (b.flips.gained.length || b.flips.lost.length)
      ? [{ benchmark: b.name, from: b.flips.from, to: b.flips.to, gained: b.flips.gained.map((f) => f.id), lost: b.flips.lost.map((f) => f.id) }]
      : [],
  );
  if (!d.table) return { rows: [], flips };
  return { firstStep: d.table.firstStep, lastStep: d.table.lastStep, rows: d.table.rows, flips };
}
