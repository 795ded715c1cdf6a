// Parses a `*.rlvr.md` example file: YAML front matter (answer and run settings), the problem
// (the Markdown body) and an optional fenced ```verifier block (a custom verifier in JavaScript).
// Never throws for a malformed file: every problem becomes a diagnostic with a 1-based line and
// column that says what would be valid, so the editor can underline it and the CLI can print it.
import { isMap, isScalar, parseDocument, visit, type Document } from "yaml";
import { validate, type SchemaProblem } from "./validate";

export interface ExampleDiagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  severity: "error" | "warning";
}

export interface ParsedExample {
  file: string;
  /** The front matter as written (valid against schema.json). */
  frontMatter: Record<string, unknown>;
  /** The Markdown body without the verifier block, trimmed. */
  problem: string;
  /** Source of the fenced verifier block, when there is one. */
  verifierSource?: string;
  /** 1-based line of the verifier block's opening fence. */
  verifierLine?: number;
  /** 1-based line of the `answer:` key. */
  answerLine?: number;
}

export interface ParseResult {
  /** Present when there are no errors (warnings allowed). */
  example?: ParsedExample;
  diagnostics: ExampleDiagnostic[];
}

const OPEN = /^---[ \t]*$/;
const CLOSE = /^(---|\.\.\.)[ \t]*$/;
// ```verifier, ~~~verifier, ```js verifier, ```javascript verifier
const FENCE_OPEN = /^[ \t]{0,3}(`{3,}|~{3,})[ \t]*(?:(?:js|javascript)[ \t]+)?verifier\b.*$/;

/** Line starts (character offsets) of a text, for offset → line/column. */
class Lines {
  readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.starts.push(i + 1);
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
  lineText(line: number): string {
    const end = line < this.starts.length ? this.starts[line] - 1 : this.text.length;
    return this.text.slice(this.starts[line - 1], end).replace(/\r$/, "");
  }
  get count(): number {
    return this.starts.length;
  }
}

export function parseExample(rawText: string, file: string): ParseResult {
  const text = rawText.replace(/^\uFEFF/, "");
  const lines = new Lines(text);
  const diagnostics: ExampleDiagnostic[] = [];
  const error = (line: number, column: number, endLine: number, endColumn: number, message: string) =>
    diagnostics.push({ file, line, column, endLine, endColumn, message, severity: "error" });
  const lineError = (line: number, message: string) =>
    error(line, 1, line, Math.max(1, lines.lineText(line).length + 1), message);

  if (!OPEN.test(lines.lineText(1))) {
    lineError(1, "The file must start with a YAML front matter block: a line `---`, at least `answer: …`, then a closing `---`");
    return { diagnostics };
  }
  let closeLine = 0;
  for (let l = 2; l <= lines.count; l++) {
    if (CLOSE.test(lines.lineText(l))) {
      closeLine = l;
      break;
    }
  }
  if (!closeLine) {
    lineError(1, "The front matter is not closed: add a line `---` after the settings, before the problem text");
    return { diagnostics };
  }

  const fmStart = lines.starts[1];
  const fmEnd = lines.starts[closeLine - 1];
  const fmText = text.slice(fmStart, fmEnd);
  const doc = parseDocument(fmText, { prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.at(fmStart + Math.min(offset, fmText.length));
  for (const e of doc.errors) {
    const s = at(e.pos[0]);
    const end = at(Math.max(e.pos[1], e.pos[0] + 1));
    error(s.line, s.column, end.line, end.column, `Invalid YAML in the front matter: ${firstLine(e.message)}`);
  }
  let frontMatter: Record<string, unknown> = {};
  if (doc.errors.length === 0) {
    const value = toJS(doc);
    if (value instanceof AliasBomb) {
      const s = at(value.offset);
      lineError(s.line, `The front matter expands YAML aliases (*name) more than ${MAX_ALIASES} times: write the values out instead`);
    } else if (value === null || value === undefined) {
      lineError(1, "The front matter is empty: it needs at least `answer: …` (the reference answer)");
    } else if (typeof value !== "object" || Array.isArray(value)) {
      const s = at(0);
      lineError(s.line, "The front matter must be a mapping of keys to values, e.g. `answer: '42'`");
    } else {
      frontMatter = value as Record<string, unknown>;
      for (const p of validate(frontMatter)) {
        const r = locate(doc, p);
        if (r) {
          const s = at(r[0]);
          const end = at(Math.max(r[1], r[0] + 1));
          error(s.line, s.column, end.line, end.column, p.message);
        } else lineError(1, p.message);
      }
    }
  }

  // Body: everything after the closing fence, minus the verifier block.
  const bodyFirstLine = closeLine + 1;
  const bodyLines: string[] = [];
  let verifierSource: string | undefined;
  let verifierLine: number | undefined;
  for (let l = bodyFirstLine; l <= lines.count; l++) {
    const line = lines.lineText(l);
    const m = FENCE_OPEN.exec(line);
    if (!m) {
      bodyLines.push(line);
      continue;
    }
    const fence = m[1];
    const closeRe = new RegExp(`^[ \\t]{0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
    let end = 0;
    for (let k = l + 1; k <= lines.count; k++) {
      if (closeRe.test(lines.lineText(k))) {
        end = k;
        break;
      }
    }
    if (!end) {
      lineError(l, `The verifier block is not closed: add a line \`${fence}\` after its code`);
      break;
    }
    if (verifierLine !== undefined) {
      lineError(l, `Only one verifier block is allowed; the first one starts at line ${verifierLine}`);
    } else {
      verifierLine = l;
      const src: string[] = [];
      for (let k = l + 1; k < end; k++) src.push(lines.lineText(k));
      verifierSource = src.join("\n");
      if (!verifierSource.trim()) lineError(l, "The verifier block is empty: write `export default (response, answer, helpers) => …` returning a reward in [0, 1], or remove the block");
    }
    l = end;
  }
  const problem = bodyLines.join("\n").trim();
  if (!problem) {
    lineError(Math.min(bodyFirstLine, lines.count), "The problem text is missing: write the problem below the front matter");
  }

  const verifierKey = frontMatter.verifier;
  if (verifierKey === "custom" && verifierSource === undefined) {
    const r = locate(doc, { path: ["verifier"], message: "" });
    const s = r ? at(r[0]) : { line: 1, column: 1 };
    const end = r ? at(r[1]) : s;
    error(s.line, s.column, end.line, end.column, "`verifier: custom` needs a fenced ```verifier block in the body holding the verifier's JavaScript");
  } else if (verifierSource !== undefined && verifierKey !== undefined && verifierKey !== "custom" && verifierLine) {
    lineError(verifierLine, `This verifier block is ignored because the front matter says \`verifier: ${String(verifierKey)}\`; set \`verifier: custom\` or remove the block`);
  }

  const hasError = diagnostics.some((d) => d.severity === "error");
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  if (hasError) return { diagnostics };
  const answerAt = locate(doc, { path: ["answer"], message: "" });
  const answerLine = answerAt ? at(answerAt[0]).line : undefined;
  return { example: { file, frontMatter, problem, verifierSource, verifierLine, answerLine }, diagnostics };
}

/** How many alias expansions toJS allows (yaml's own guard against "billion laughs" documents). */
const MAX_ALIASES = 100;

class AliasBomb {
  constructor(readonly offset: number) {}
}

/** The document's value, or where its first alias is when expanding them all would explode. */
function toJS(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
    let offset = 0;
    visit(doc, {
      Alias(_key, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return new AliasBomb(offset);
  }
}

function firstLine(s: string): string {
  return s.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/** Character range (within the front matter) of the value or key a schema problem refers to. */
function locate(doc: Document, p: SchemaProblem): [number, number] | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  if (p.key !== undefined) {
    const pair = root.items.find((it) => isScalar(it.key) && String(it.key.value) === p.key);
    const r = pair && isScalar(pair.key) ? pair.key.range : undefined;
    return r ? [r[0], r[1]] : undefined;
  }
  if (p.path.length === 0) return undefined;
  for (let n = p.path.length; n > 0; n--) {
    const node = doc.getIn(p.path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return [node.range[0], node.range[1]];
  }
  return undefined;
}
