// Example files (`*.rlvr.md`): the file's one model, its diagnostics and edits, the merge of a
// run's settings, and the run's configuration.
import { readFileSync } from "node:fs";
import { parseExample, type ParseResult } from "./parse";

export * from "./config";
export * from "./document";
export * from "./edit";
export * from "./effective";
export * from "./parse";
export * from "./presets";
export * from "./resolve";
export * from "./verifierSpec";

/** Reads and parses an example file; an unreadable file becomes a diagnostic too. */
export function loadExample(file: string): ParseResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "the file does not exist" : (e as Error).message;
    return {
      diagnostics: [{ file, line: 1, column: 1, endLine: 1, endColumn: 1, message: `Cannot read the example file: ${reason}`, severity: "error" }],
    };
  }
  return parseExample(text, file);
}

export const formatDiagnostic = (d: { file: string; line: number; column: number; message: string }) =>
  `${d.file}:${d.line}:${d.column}: ${d.message}`;
