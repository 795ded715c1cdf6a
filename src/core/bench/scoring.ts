// From per-problem results to the numbers an `eval` event carries, and the problems whose
// outcome changed between two evaluations.
import type { ProblemResult } from "./runner";

export interface Score {
  value: number;
  n: number;
  breakdown?: Record<string, { value: number; n: number }>;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** acc (one sample) or avg@k (k samples) is the mean per-problem fraction correct. */
export function summarize(results: ProblemResult[]): Score {
  const score: Score = { value: mean(results.map((r) => r.score)), n: results.length };
  const bySkill = new Map<string, number[]>();
  for (const r of results) if (r.skill) bySkill.set(r.skill, [...(bySkill.get(r.skill) ?? []), r.score]);
  if (bySkill.size > 1) {
    score.breakdown = Object.fromEntries([...bySkill].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { value: mean(v), n: v.length }]));
  }
  return score;
}

export interface Flip {
  id: string;
  before: number;
  after: number;
}

/** Problems scored in both whose score moved: `gained` rose, `lost` fell. */
export function flips(before: ProblemResult[], after: ProblemResult[]): { gained: Flip[]; lost: Flip[] } {
  const old = new Map(before.map((r) => [r.id, r.score]));
  const gained: Flip[] = [];
  const lost: Flip[] = [];
  for (const r of after) {
    const b = old.get(r.id);
    if (b === undefined || b === r.score) continue;
    (r.score > b ? gained : lost).push({ id: r.id, before: b, after: r.score });
  }
  return { gained, lost };
}
