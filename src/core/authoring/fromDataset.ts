// The example file a dataset row becomes, for "New Example from Dataset…" and `oneshot new` alike:
// the problem and its answer under the built-in math verifier, the preset, and where it came from;
// and the problem `oneshot new` names.
import * as path from "node:path";
import { DatasetError, type Dataset, type DatasetProblem } from "./dataset";
import type { ExampleDraft } from "./template";

export function exampleDraftFor(p: { row: number; problem: string; answer: string }, datasetFile: string, preset: string): ExampleDraft {
  return { problem: p.problem, answer: p.answer, verifier: "math", preset, source: `${path.basename(datasetFile)} row ${p.row + 1}` };
}

/** The problem `oneshot new` names by its 1-based row (as listed) or its id; else one sentence with what exists. */
export function findProblem(dataset: Dataset, by: { row: number } | { id: string }): DatasetProblem {
  const name = path.basename(dataset.file);
  const { problems } = dataset;
  if ("row" in by) {
    const found = problems.find((p) => p.row + 1 === by.row);
    if (found) return found;
    const last = problems.at(-1)!.row + 1;
    if (by.row < 1 || by.row > last) throw new DatasetError(`${name} has no row ${by.row}: its problems are on rows 1 to ${last}.`);
    throw new DatasetError(`row ${by.row} of ${name} has no problem text: its problems are on rows 1 to ${last}, ${dataset.skipped} of them empty.`);
  }
  const found = problems.find((p) => p.id === by.id);
  if (found) return found;
  const ids = problems.map((p) => p.id);
  const some = ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 3).join(", ")}, … ${ids.at(-1)}`;
  throw new DatasetError(`${name} has no problem with id '${by.id}': its ${ids.length} ids are ${some}.`);
}
