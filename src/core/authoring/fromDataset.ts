// The example file a dataset row becomes, for "New Example from Dataset…" and `oneshot new` alike:
// the problem and its answer under the built-in math verifier, the preset, and where it came from.
import * as path from "node:path";
import type { ExampleDraft } from "./template";

export function exampleDraftFor(p: { row: number; problem: string; answer: string }, datasetFile: string, preset: string): ExampleDraft {
  return { problem: p.problem, answer: p.answer, verifier: "math", preset, source: `${path.basename(datasetFile)} row ${p.row + 1}` };
}
