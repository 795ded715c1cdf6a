// Turning dataset rows into problems: which column is the problem, which the answer. Datasets
// disagree (problem/question/prompt, answer/final_answer/solution, Problem/Answer, verl's nested
// reward_model.ground_truth), so unless the caller names the fields they are found by these names,
// case-insensitively. The one road from rows to problems for benchmarks, ranking and the editor's
// "New Example from Dataset…".
import { cellText, referenceAnswer } from "./answers";
import { flattenRow, stripTrailingInstruction } from "./rowShape";
import type { BenchProblem, FieldMap } from "./types";

const PROBLEM_FIELDS = ["problem", "question", "prompt", "input", "query"];
const ANSWER_FIELDS = ["answer", "final_answer", "ground_truth", "reward_model.ground_truth", "target", "expected_answer", "gold", "label"];
const SOLUTION_FIELDS = ["solution", "reference_solution", "output", "response"];
const ID_FIELDS = ["id", "unique_id", "idx", "problem_id", "index", "extra_info.index"];
const SKILL_FIELDS = ["skill", "subject", "type", "category", "subfield"];
/** Shown beside a problem in the editor's list when at most this long. */
const EXTRA_MAX = 40;

export class DatasetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetFormatError";
  }
}

/** One dataset row as every reader sees it. */
export interface DatasetRow {
  /** 0-based position in the dataset. */
  row: number;
  /** The id column's value, else the row's position; unique within the dataset. */
  id: string;
  problem: string;
  /** Reference answer; null when the row has none (the editor then asks for it). */
  answer: string | null;
  skill?: string;
  /** The row's other short scalar fields (level, split …), for display. */
  extra: Record<string, string>;
}

export type ResolvedFields = Required<Pick<FieldMap, "problem">> & FieldMap;

export interface NormaliseOptions {
  /** Fields the caller named must exist (else they are preferences with the usual names as fallback). */
  strict?: boolean;
  /** A dataset with neither an answer nor a solution field is an error (benchmarks), not rows to ask about. */
  requireAnswer?: boolean;
}

function findKey(keys: string[], wanted: string | undefined, candidates: string[], strict = true): string | undefined {
  if (wanted !== undefined) {
    const k = keys.find((key) => key === wanted) ?? keys.find((key) => key.toLowerCase() === wanted.toLowerCase());
    if (k !== undefined || strict) return k;
  }
  for (const c of candidates) {
    const k = keys.find((key) => key.toLowerCase() === c);
    if (k !== undefined) return k;
  }
  return undefined;
}

/**
 * The columns actually used for these (flattened) rows, resolved once from the first rows' keys.
 * Fields the user named must exist (`strict`); a preset's names are preferences, falling back to
 * the usual names should the hub copy of a dataset rename a column.
 */
export function resolveFields(rows: Record<string, unknown>[], map: FieldMap = {}, strict = true, requireAnswer = true): ResolvedFields {
  const keys = [...new Set(rows.slice(0, 20).flatMap((r) => Object.keys(r)))];
  const find = (wanted: string | undefined, candidates: string[]) => findKey(keys, wanted, candidates, strict);
  const problem = find(map.problem, PROBLEM_FIELDS);
  if (!problem) {
    throw new DatasetFormatError(
      map.problem
        ? `the dataset has no field '${map.problem}' (its fields are ${keys.join(", ") || "none"})`
        : `no problem field found: expected one of ${PROBLEM_FIELDS.join("/")} among ${keys.join(", ") || "no fields"}`,
    );
  }
  const answer = find(map.answer, ANSWER_FIELDS);
  const solution = find(map.solution, SOLUTION_FIELDS);
  if (strict && map.answer && !answer) throw new DatasetFormatError(`the dataset has no field '${map.answer}' (its fields are ${keys.join(", ")})`);
  if (requireAnswer && !answer && !solution) {
    throw new DatasetFormatError(
      `no answer field found: expected one of ${[...ANSWER_FIELDS, ...SOLUTION_FIELDS].join("/")} among ${keys.join(", ")}`,
    );
  }
  return { problem, answer, solution, id: findKey(keys, map.id, ID_FIELDS, false), skill: findKey(keys, map.skill, SKILL_FIELDS, false) };
}

/**
 * Reads rows in any layout into problems: nested layouts flattened, the problem without a trailing
 * instruction that the prompt adds again, the answer from its column or a worked solution's final
 * answer (lists joined), the id from its column or the row's position. Rows without a problem are
 * skipped and counted.
 */
export function normaliseRows(raw: Record<string, unknown>[], map: FieldMap = {}, o: NormaliseOptions = {}): { rows: DatasetRow[]; skipped: number; fields: ResolvedFields } {
  const flat = raw.map(flattenRow);
  const f = resolveFields(flat, map, o.strict ?? true, o.requireAnswer ?? true);
  const used = new Set([f.problem, f.answer, f.solution, f.id, f.skill]);
  const rows: DatasetRow[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  flat.forEach((r, i) => {
    const text = cellText(r[f.problem]);
    if (!text) {
      skipped++;
      return;
    }
    const answer = (f.answer ? referenceAnswer(r[f.answer]) : null) ?? (f.solution ? referenceAnswer(r[f.solution]) : null);
    let id = (f.id ? cellText(r[f.id]) : null) ?? String(i);
    if (seen.has(id)) id = `${id}#${i}`;
    seen.add(id);
    const skill = f.skill ? cellText(r[f.skill]) : null;
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) {
      if (used.has(k) || Array.isArray(v)) continue;
      const s = cellText(v);
      if (s !== null && s.length <= EXTRA_MAX) extra[k] = s;
    }
    rows.push({ row: i, id, problem: stripTrailingInstruction(text).trim(), answer, ...(skill ? { skill } : {}), extra });
  });
  return { rows, skipped, fields: f };
}

/**
 * The rows a benchmark scores: those with both a problem and a usable answer. Rows without are
 * skipped and counted, so one bad row does not sink a 500-problem benchmark.
 */
export function rowsToProblems(rows: Record<string, unknown>[], map: FieldMap = {}, strict = true): { problems: BenchProblem[]; skipped: number } {
  if (rows.length === 0) return { problems: [], skipped: 0 };
  const n = normaliseRows(rows, map, { strict, requireAnswer: true });
  const problems: BenchProblem[] = [];
  for (const r of n.rows) {
    if (r.answer === null) continue;
    problems.push(r.skill ? { id: r.id, problem: r.problem, answer: r.answer, skill: r.skill } : { id: r.id, problem: r.problem, answer: r.answer });
  }
  return { problems, skipped: n.skipped + n.rows.length - problems.length };
}
