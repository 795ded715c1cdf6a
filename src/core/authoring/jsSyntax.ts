// Syntax check of a custom verifier's JavaScript without running it: V8 compiles the source
// (vm.Script only compiles; nothing executes until runInContext, which is never called). The
// sandbox runs the code in QuickJS, which rejects the same programs (both follow the standard),
// though in its own words; V8's message comes with a precise line and column.
import { Script } from "node:vm";

export interface JsSyntaxProblem {
  /** 0-based line and column inside the verifier source. */
  line: number;
  column: number;
  length: number;
  message: string;
}

const FILENAME = "verifier.js";

/**
 * `export default` (the form the verifier template uses) is module syntax, which a classic script
 * rejects: it is replaced by a declaration of the same length so positions stay where they were.
 */
function asScript(source: string): string {
  return source.replace(/^(\s*)export default /gm, (_m, indent: string) => `${indent}var __default= `);
}

export function checkJsSyntax(source: string): JsSyntaxProblem | null {
  try {
    new Script(asScript(source), { filename: FILENAME });
    return null;
  } catch (e) {
    if (!(e instanceof SyntaxError)) return null;
    return locate(e, source);
  }
}

function locate(e: SyntaxError, source: string): JsSyntaxProblem {
  const lines = (e.stack ?? "").split("\n");
  const header = new RegExp(`^${FILENAME.replace(".", "\\.")}:(\\d+)$`).exec(lines[0] ?? "");
  const sourceLines = source.split("\n");
  let line = header ? Number(header[1]) - 1 : sourceLines.length - 1;
  line = Math.min(Math.max(line, 0), sourceLines.length - 1);
  const caret = /^(\s*)(\^+)/.exec(lines[2] ?? "");
  let column = caret ? caret[1].length : (sourceLines[line]?.length ?? 0);
  let length = caret ? caret[2].length : 1;
  if (!caret && /end of input/i.test(e.message)) {
    // V8 points past the last character: mark the last non-blank one instead.
    line = lastNonBlankLine(sourceLines);
    column = Math.max((sourceLines[line]?.length ?? 1) - 1, 0);
    length = 1;
  }
  return { line, column, length, message: e.message };
}

function lastNonBlankLine(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].trim()) return i;
  return 0;
}
