// A ranking written by `oneshot rank` (<dataset>.ranked.jsonl, best first) applied to a dataset's
// problems: the picker and `oneshot new --list` show the best candidates first, with their score.
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { DatasetFormatError } from "../bench/fields";
import { parseJsonl } from "../bench/files";
import { benchmarkName } from "../bench/load";
import { DatasetError, type DatasetProblem } from "./dataset";

export interface RankEntry {
  rank: number;
  /** null: the problem had no score (no training history). */
  score: number | null;
  /** Which score ranked it: "p(1-p)", "std" or "lim". */
  score_name: string;
}

export async function readRanking(file: string): Promise<Map<string, RankEntry>> {
  const name = path.basename(file);
  let rows;
  try {
    rows = parseJsonl(await readFile(file, "utf8"), name);
  } catch (e) {
    if (e instanceof DatasetFormatError) throw new DatasetError(e.message);
    throw new DatasetError(`Cannot read the ranking ${name}: ${(e as Error).message}`);
  }
  const out = new Map<string, RankEntry>();
  rows.forEach((r, i) => {
    const id = typeof r.id === "string" || typeof r.id === "number" ? String(r.id) : undefined;
    if (id === undefined || typeof r.rank !== "number") throw new DatasetError(`${name} line ${i + 1} is not a ranked problem (it needs an id and a rank, as oneshot rank writes them)`);
    // Rankings written before the score was named are all pass-rate rankings.
    out.set(id, { rank: r.rank, score: typeof r.score === "number" ? r.score : null, score_name: typeof r.score_name === "string" ? r.score_name : "p(1-p)" });
  });
  return out;
}

/** Ranked problems first, by rank; the ones the ranking does not name after them, in file order. */
export function sortByRanking(problems: DatasetProblem[], ranking: Map<string, RankEntry>): DatasetProblem[] {
  const rankOf = (p: DatasetProblem) => ranking.get(p.id)?.rank ?? Infinity;
  return [...problems].sort((a, b) => rankOf(a) - rankOf(b) || a.row - b.row);
}

/**
 * The ranking `oneshot rank` writes for this dataset by default (`<name>.ranked.jsonl` in the folder
 * it ran in), looked for beside the dataset file and then in `dirs`.
 */
export function rankingFileFor(datasetFile: string, dirs: string[], exists: (file: string) => boolean): string | undefined {
  const file = `${benchmarkName(path.basename(datasetFile))}.ranked.jsonl`;
  // A preset or hub id (not a path) has no folder of its own.
  const beside = path.isAbsolute(datasetFile) ? [path.dirname(datasetFile)] : [];
  return [...beside, ...dirs].map((d) => path.join(d, file)).find(exists);
}
