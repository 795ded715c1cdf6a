// Problems from a dataset for "New Example from Dataset…" and `oneshot new`. The rows are read and
// normalised by the benchmark layer's reader (src/core/bench/files.ts, fields.ts), the same one
// evaluation and ranking use, so a file reads alike everywhere; here rows without an answer are
// kept (the editor asks for one) where a benchmark would skip them.
import * as path from "node:path";
import { DatasetFormatError, normaliseRows, type DatasetRow } from "../bench/fields";
import { readRows, type Row } from "../bench/files";

export type DatasetProblem = DatasetRow;

export interface Dataset {
  /** The file (or, for `oneshot new`, the dataset reference) the rows came from. */
  file: string;
  problems: DatasetProblem[];
  problemColumn: string;
  answerColumn: string | null;
  /** Rows that were skipped: no problem text. */
  skipped: number;
}

export class DatasetError extends Error {}

export async function readDataset(file: string): Promise<Dataset> {
  let rows: Row[];
  try {
    rows = await readRows(file);
  } catch (e) {
    if (e instanceof DatasetFormatError) throw new DatasetError(e.message);
    throw new DatasetError(`Cannot read ${path.basename(file)}: ${(e as Error).message}`);
  }
  return toDataset(file, rows);
}

/** Rows already read (a file, or a benchmark preset or hub dataset for `oneshot new`) as problems. */
export function toDataset(file: string, rows: Row[]): Dataset {
  try {
    const n = normaliseRows(rows, {}, { strict: false, requireAnswer: false });
    return { file, problems: n.rows, problemColumn: n.fields.problem, answerColumn: n.fields.answer ?? null, skipped: n.skipped };
  } catch (e) {
    if (e instanceof DatasetFormatError) throw new DatasetError(`${path.basename(file)}: ${e.message}`);
    throw e;
  }
}
