// Turning dataset rows into problems: which column is the problem, which the answer. Datasets
// disagree (problem/question/prompt, answer/final_answer/solution, Problem/Answer), so unless the
// caller names the fields they are found by these names, case-insensitively.
import { cellText, referenceAnswer } from "./answers";
import type { BenchProblem, FieldMap } from "./types";

const PROBLEM_FIELDS = ["problem", "question", "prompt", "input"];
const ANSWER_FIELDS = ["answer", "final_answer", "ground_truth", "target", "expected_answer"];
const SOLUTION_FIELDS = ["solution", "reference_solution", "output"];
const ID_FIELDS = ["id", "unique_id", "idx", "problem_id", "index"];
const SKILL_FIELDS = ["skill", "subject", "type", "category", "subfield"];

export class DatasetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetFormatError";
  }
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
 * The columns actually used for these rows, resolved once from the first rows' keys. Fields the
 * user named must exist (`strict`); a preset's names are preferences, falling back to the usual
 * names should the hub copy of a dataset rename a column.
 */
export function resolveFields(
  rows: Record<string, unknown>[],
  map: FieldMap = {},
  strict = true,
): Required<Pick<FieldMap, "problem">> & FieldMap {
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
  if (!answer && !solution) {
    throw new DatasetFormatError(
      `no answer field found: expected one of ${[...ANSWER_FIELDS, ...SOLUTION_FIELDS].join("/")} among ${keys.join(", ")}`,
    );
  }
  return { problem, answer, solution, id: findKey(keys, map.id, ID_FIELDS, false), skill: findKey(keys, map.skill, SKILL_FIELDS, false) };
}

/**
 * Maps rows to problems. Rows without a problem or a usable answer are skipped and counted, so
 * one bad row does not sink a 500-problem benchmark; ids default to the row's position.
 */
export function rowsToProblems(
  rows: Record<string, unknown>[],
  map: FieldMap = {},
  strict = true,
): { problems: BenchProblem[]; skipped: number } {
  if (rows.length === 0) return { problems: [], skipped: 0 };
  const f = resolveFields(rows, map, strict);
  const problems: BenchProblem[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  rows.forEach((row, i) => {
    const problem = cellText(row[f.problem]);
    const answer = (f.answer ? referenceAnswer(row[f.answer]) : null) ?? (f.solution ? referenceAnswer(row[f.solution]) : null);
    if (!problem || !answer) {
      skipped++;
      return;
    }
    let id = (f.id ? cellText(row[f.id]) : null) ?? String(i);
    if (seen.has(id)) id = `${id}#${i}`;
    seen.add(id);
    const skill = f.skill ? cellText(row[f.skill]) : null;
    problems.push(skill ? { id, problem, answer, skill } : { id, problem, answer });
  });
  return { problems, skipped };
}
