// Ranking by training history, as the paper chose π1 (arXiv 2504.20571): a full-data RLVR run
// records each problem's training accuracy per epoch, and the problems whose accuracy varied most
// ("historical variance score": the standard deviation of that list) rank first. `lim` is the
// other score the paper's code offers (data/data_selection.py), LIMR's learning-impact measure:
// how closely a problem's accuracy curve follows the average curve's rise towards 1.
import { isRow } from "./files";
import type { BenchProblem } from "./types";

export type HistoryScoreName = "std" | "lim";
export const HISTORY_SCORES: readonly HistoryScoreName[] = ["std", "lim"];

/** A problem id → its training accuracy per epoch, in file order. */
export type History = Map<string, number[]>;

export class HistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HistoryError";
  }
}

const SHAPE = 'a JSON object mapping problem ids to lists of accuracies, or JSON Lines of {"id", "accuracies"}';

/** Reads either shape; anything else is one sentence naming the file and what it should hold. */
export function parseHistory(text: string, name: string): History {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    return parseLines(text, name);
  }
  if (!isRow(whole)) throw new HistoryError(`${name} is not ${SHAPE}.`);
  if (Array.isArray(whole.accuracies) && "id" in whole) return parseLines(text, name);
  const history: History = new Map();
  for (const [id, values] of Object.entries(whole)) history.set(id, accuracies(values, `${name}: the accuracies of '${id}'`));
  if (history.size === 0) throw new HistoryError(`${name} holds no accuracies: it should be ${SHAPE}.`);
  return history;
}

function parseLines(text: string, name: string): History {
  const history: History = new Map();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new HistoryError(`${name} line ${i + 1} is not valid JSON: the file should be ${SHAPE}.`);
    }
    if (!isRow(row) || (typeof row.id !== "string" && typeof row.id !== "number") || !("accuracies" in row)) {
      throw new HistoryError(`${name} line ${i + 1} needs an "id" and a list of "accuracies".`);
    }
    const id = String(row.id);
    if (history.has(id)) throw new HistoryError(`${name} line ${i + 1} repeats the id '${id}'.`);
    history.set(id, accuracies(row.accuracies, `${name} line ${i + 1}: the accuracies`));
  });
  if (history.size === 0) throw new HistoryError(`${name} holds no accuracies: it should be ${SHAPE}.`);
  return history;
}

function accuracies(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && x >= 0 && x <= 1)) {
    throw new HistoryError(`${what} must be a list of numbers between 0 and 1, not ${JSON.stringify(v)?.slice(0, 40)}.`);
  }
  return v as number[];
}

/** Population standard deviation (numpy's np.std, as the paper's code computes it). */
export function std(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
}

/**
 * LIM over the first K epochs that every problem with history has: with ā_k the mean accuracy of
 * all problems in epoch k, s = 1 − Σ_k (a_k − ā_k)² / Σ_k (1 − ā_k)². 1 for a problem that follows
 * the average curve exactly; lower the further it strays.
 */
export function limScores(history: History): Map<string, number> {
  const lists = [...history].filter(([, a]) => a.length > 0);
  const k = Math.min(...lists.map(([, a]) => a.length));
  const avg = Array.from({ length: k }, (_, e) => lists.reduce((s, [, a]) => s + a[e]!, 0) / lists.length);
  const room = avg.reduce((s, m) => s + (1 - m) ** 2, 0);
  if (room === 0) throw new HistoryError("the lim score is undefined when every problem was solved in every epoch; use --score std.");
  return new Map(lists.map(([id, a]) => [id, 1 - avg.reduce((s, m, e) => s + (a[e]! - m) ** 2, 0) / room]));
}

export interface HistoryRanked extends BenchProblem {
  rank: number;
  /** Epochs of history the problem has (0: none; it is ranked last, unscored). */
  epochs: number;
  score: number | null;
  score_name: HistoryScoreName;
}

/**
 * Highest score first; among equals, and for the problems without history (listed last), the
 * dataset's order. `missing` counts the problems the history does not cover.
 */
export function rankByHistory(problems: BenchProblem[], history: History, scoreName: HistoryScoreName): { ranked: HistoryRanked[]; missing: number } {
  const scores = scoreName === "lim" ? limScores(history) : new Map([...history].filter(([, a]) => a.length > 0).map(([id, a]) => [id, std(a)]));
  const rows = problems.map((p) => ({ ...p, rank: 0, epochs: history.get(p.id)?.length ?? 0, score: scores.get(p.id) ?? null, score_name: scoreName }));
  const byScore = (a: HistoryRanked, b: HistoryRanked) => (a.score === null ? (b.score === null ? 0 : 1) : b.score === null ? -1 : b.score - a.score);
  const ranked = rows.sort(byScore).map((r, i) => ({ ...r, rank: i + 1 }));
  return { ranked, missing: ranked.filter((r) => r.score === null).length };
}
