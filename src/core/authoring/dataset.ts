// Problems from a local dataset file (JSON Lines or Parquet) for "New Example from Dataset…".
// Column names differ between datasets, so the problem and answer columns are picked from the
// names that common math datasets use; a row whose answer is only inside a worked solution gets
// the solution's final answer, found by the verifier's own extraction (its last \boxed{}).
import { createReadStream } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { extractAnswer } from "../verifier/extract";

export interface DatasetProblem {
  /** 0-based row number in the file. */
  row: number;
  problem: string;
  /** Reference answer; null when the row has none. */
  answer: string | null;
  /** Other short scalar fields (subject, level, id …), for display. */
  extra: Record<string, string>;
}

export interface Dataset {
  file: string;
  problems: DatasetProblem[];
  problemColumn: string;
  answerColumn: string | null;
  /** Rows that were skipped: unparsable JSON or no problem text. */
  skipped: number;
}

export class DatasetError extends Error {}

const PROBLEM_COLUMNS = ["problem", "question", "prompt", "input", "query", "Problem", "Question"];
const ANSWER_COLUMNS = ["answer", "final_answer", "expected_answer", "gold", "target", "label", "Answer"];
const SOLUTION_COLUMNS = ["solution", "Solution", "output", "response"];
const MAX_ROWS = 100_000;

export async function readDataset(file: string): Promise<Dataset> {
  const ext = path.extname(file).toLowerCase();
  let rows: Record<string, unknown>[];
  let skipped = 0;
  if (ext === ".parquet") rows = await readParquet(file);
  else if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") ({ rows, skipped } = await readJsonLines(file));
  else throw new DatasetError(`${path.basename(file)} is neither JSON Lines (.jsonl) nor Parquet (.parquet).`);
  return toProblems(file, rows, skipped);
}

export function toProblems(file: string, rows: Record<string, unknown>[], skippedBefore = 0): Dataset {
  const columns = new Set(rows.flatMap((r) => Object.keys(r)));
  const problemColumn = PROBLEM_COLUMNS.find((c) => columns.has(c));
  if (!problemColumn) {
    const seen = [...columns].slice(0, 12).join(", ") || "none";
    throw new DatasetError(
      `${path.basename(file)} has no problem column (looked for ${PROBLEM_COLUMNS.slice(0, 5).join(", ")}; found ${seen}).`,
    );
  }
  const answerColumn = ANSWER_COLUMNS.find((c) => columns.has(c)) ?? null;
  const solutionColumn = SOLUTION_COLUMNS.find((c) => columns.has(c));
  const problems: DatasetProblem[] = [];
  let skipped = skippedBefore;
  rows.forEach((r, row) => {
    const problem = scalarText(r[problemColumn]);
    if (!problem?.trim()) {
      skipped++;
      return;
    }
    let answer = answerColumn ? scalarText(r[answerColumn]) : null;
    if (!answer?.trim() && solutionColumn) answer = extractAnswer(scalarText(r[solutionColumn]) ?? "");
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === problemColumn || k === answerColumn || k === solutionColumn) continue;
      const s = scalarText(v);
      if (s !== null && s.length <= 40) extra[k] = s;
    }
    problems.push({ row, problem: problem.trim(), answer: answer?.trim() || null, extra });
  });
  return { file, problems, problemColumn, answerColumn, skipped };
}

async function readJsonLines(file: string): Promise<{ rows: Record<string, unknown>[]; skipped: number }> {
  const rows: Record<string, unknown>[] = [];
  let skipped = 0;
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      if (rows.length >= MAX_ROWS) break;
      try {
        const v: unknown = JSON.parse(line);
        if (v && typeof v === "object" && !Array.isArray(v)) rows.push(v as Record<string, unknown>);
        else skipped++;
      } catch {
        skipped++;
      }
    }
  } catch (e) {
    throw new DatasetError(`Cannot read ${path.basename(file)}: ${(e as Error).message}`);
  } finally {
    lines.close();
  }
  return { rows, skipped };
}

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  try {
    const buffer = await asyncBufferFromFile(file);
    return await parquetReadObjects({ file: buffer, rowEnd: MAX_ROWS });
  } catch (e) {
    throw new DatasetError(`Cannot read ${path.basename(file)} as Parquet: ${(e as Error).message}`);
  }
}

function scalarText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  return null;
}
