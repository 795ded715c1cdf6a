// Choosing the training example: the paper ranks candidates by the variance of the model's
// accuracy on them over training history; before any training, the base model's pass rate p
// over k samples gives the same signal cheaply. p(1−p) is largest for problems the model
// sometimes solves, and zero for ones it always or never solves (no GRPO learning signal).
import type { ProblemResult } from "./runner";
import type { BenchProblem } from "./types";

export interface RankedProblem extends BenchProblem {
  rank: number;
  k: number;
  correct: number;
  /** Pass rate over the k samples. */
  p: number;
  /** p(1−p), in [0, 0.25]. */
  score: number;
  /** Which score ranked it, as the ranked file says; history rankings say "std" or "lim". */
  score_name: "p(1-p)";
}

export function varianceScore(p: number): number {
  return p * (1 - p);
}

/**
 * Highest p(1−p) first; among equals the harder problem (lower p) first, since a problem the
 * model rarely solves leaves more room to learn; then by id for a stable order.
 */
export function rankByVariance(results: ProblemResult[]): RankedProblem[] {
  return results
    .map((r) => {
      const p = r.samples ? r.correct / r.samples : 0;
      return {
        id: r.id,
        problem: r.problem,
        answer: r.answer,
        ...(r.skill ? { skill: r.skill } : {}),
        rank: 0,
        k: r.samples,
        correct: r.correct,
        p,
        score: varianceScore(p),
        score_name: "p(1-p)" as const,
      };
    })
    .sort((a, b) => b.score - a.score || a.p - b.p || a.id.localeCompare(b.id, undefined, { numeric: true }))
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

/** The ranked list as JSONL, best candidate first: what `oneshot rank` writes and the editor sorts by. */
export function rankedJsonl(ranked: { id: string; rank: number; score: number | null; score_name: string }[]): string {
  return ranked.map((r) => JSON.stringify(r)).join("\n") + (ranked.length ? "\n" : "");
}
