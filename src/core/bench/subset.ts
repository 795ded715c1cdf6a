// The subset evaluated during training: the same problems at every step (so curves compare like
// with like), spread over the set rather than its first rows (datasets are often sorted by
// subject or difficulty), chosen by a hash of each id so it does not depend on row order.
import { createHash } from "node:crypto";
import type { BenchProblem } from "./types";

export function subsetOf(problems: BenchProblem[], size: number, seed = 0): BenchProblem[] {
  if (size <= 0 || size >= problems.length) return problems;
  const rank = (p: BenchProblem) => createHash("sha256").update(`${seed}\0${p.id}`).digest().readUInt32BE(0);
  const chosen = new Set([...problems].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id)).slice(0, size));
  return problems.filter((p) => chosen.has(p));
}
