// An example file (`*.rlvr.md`) read once into one model: where its front matter is, the front
// matter as one `yaml.Document` (node ranges are offsets into the whole file), its top-level keys
// with key and value positions, and its fenced verifier blocks. The parser's diagnostics, the
// editor's positions (completion, hover, CodeLens, the verifier's JavaScript features) and
// front-matter edits all read this model, so the file format is understood in one place.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";

/** 0-based line and column (the editor's convention; diagnostics add 1). */
export interface Position {
  line: number;
  column: number;
}

export interface KeyEntry {
  key: string;
  /** 0-based line of the key. */
  line: number;
  /** Columns of the key on its line. */
  keyStart: number;
  keyEnd: number;
  /** The value, without a trailing comment; an empty range after `key:` when there is none. */
  valueStart: Position;
  valueEnd: Position;
}

/** A fenced verifier block: its fence lines and its code lines [firstLine, lastLine], 0-based. */
export interface VerifierBlock {
  open: number;
  /** Undefined when the block is not closed: it then runs to the end of the file. */
  close: number | undefined;
  firstLine: number;
  lastLine: number;
  /** The opening fence's backticks or tildes. */
  fence: string;
}

export interface ExampleDocument {
  /** The file's text without a byte-order mark; every offset and position refers to it. */
  text: string;
  lines: LineCounter;
  /** Lines of the opening and closing delimiters; undefined when the file does not start with `---`. */
  frontMatter?: { open: 0; close: number | undefined };
  /**
   * The front matter's YAML: from the opening `---` to the closing one, or to the end of the file
   * while it is not closed (for positions as the user types; the parser then reports only that).
   */
  yaml?: Document;
  /** Offsets of the front matter's YAML text (after the opening line, up to the closing one). */
  yamlStart: number;
  yamlEnd: number;
  /** Top-level keys with a value (`key:` counts), in file order. */
  keys: KeyEntry[];
  /** First 0-based line after the front matter. */
  bodyStart: number;
  /** Every verifier block of the body in order; scanning stops after one that is not closed. */
  verifierBlocks: VerifierBlock[];
  /** The first of them: the one that counts. */
  verifierBlock?: VerifierBlock;
}

const OPEN = /^---[ \t]*$/;
const CLOSE = /^(---|\.\.\.)[ \t]*$/;
// ```verifier, ~~~verifier, ```js verifier, ```javascript verifier
const FENCE_OPEN = /^[ \t]{0,3}(`{3,}|~{3,})[ \t]*(?:(?:js|javascript)[ \t]+)?verifier\b.*$/;

export function readExampleText(rawText: string): ExampleDocument {
  const text = rawText.replace(/^\uFEFF/, "");
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lines.addNewLine(i + 1);
  const count = lines.lineStarts.length;
  const lineText = (l: number) => lineOf(text, lines, l);

  const doc: ExampleDocument = { text, lines, yamlStart: 0, yamlEnd: 0, keys: [], bodyStart: 0, verifierBlocks: [] };
  if (OPEN.test(lineText(0))) {
    let close: number | undefined;
    for (let l = 1; l < count; l++) {
      if (CLOSE.test(lineText(l))) {
        close = l;
        break;
      }
    }
    doc.frontMatter = { open: 0, close };
    doc.yamlStart = count > 1 ? lines.lineStarts[1] : text.length;
    doc.yamlEnd = close === undefined ? text.length : lines.lineStarts[close];
    // The opening line blanked, so that every node's range is an offset into the whole file and
    // the YAML reads as it would on its own.
    const yamlText = text.slice(0, doc.yamlStart).replace(/[^\n]/g, " ") + text.slice(doc.yamlStart, doc.yamlEnd);
    doc.yaml = parseDocument(yamlText, { prettyErrors: false, uniqueKeys: true });
    doc.keys = keysOf(doc);
    doc.bodyStart = close === undefined ? count : close + 1;
  }
  doc.verifierBlocks = verifierBlocks(doc, count);
  doc.verifierBlock = doc.verifierBlocks[0];
  return doc;
}

/** 0-based position of an offset. */
export function positionAt(doc: Pick<ExampleDocument, "lines">, offset: number): Position {
  const p = doc.lines.linePos(offset);
  return { line: p.line - 1, column: p.col - 1 };
}

/** A 0-based line's text, without its line break. */
export function lineText(doc: Pick<ExampleDocument, "text" | "lines">, line: number): string {
  return lineOf(doc.text, doc.lines, line);
}

export const lineCount = (doc: Pick<ExampleDocument, "lines">): number => doc.lines.lineStarts.length;

/** Is the (0-based) line inside the front matter, between its delimiters? */
export function inFrontMatter(doc: Pick<ExampleDocument, "frontMatter">, line: number): boolean {
  const fm = doc.frontMatter;
  return !!fm && line > fm.open && (fm.close === undefined || line < fm.close);
}

export function inVerifierBlock(doc: Pick<ExampleDocument, "verifierBlock">, line: number): boolean {
  const b = doc.verifierBlock;
  return !!b && line >= b.firstLine && line <= b.lastLine;
}

/** The code of a verifier block (its lines between the fences). */
export function blockSource(doc: ExampleDocument, block: VerifierBlock): string {
  const out: string[] = [];
  for (let l = block.firstLine; l <= block.lastLine; l++) out.push(lineText(doc, l));
  return out.join("\n");
}

function lineOf(text: string, lines: LineCounter, line: number): string {
  const starts = lines.lineStarts;
  if (line < 0 || line >= starts.length) return "";
  const end = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
  return text.slice(starts[line], end).replace(/\r$/, "");
}

function keysOf(doc: ExampleDocument): KeyEntry[] {
  const root = doc.yaml?.contents;
  if (!isMap(root)) return [];
  const out: KeyEntry[] = [];
  for (const pair of root.items) {
    const value = pair.value as { range?: [number, number, number] } | null;
    if (!isScalar(pair.key) || !pair.key.range || !value?.range) continue;
    const keyEndOffset = pair.key.range[1];
    let keyStartOffset = pair.key.range[0];
    // While a key is being typed, YAML reads the unfinished line and the next key as one
    // multi-line key; the key the user sees is the part on its last line.
    const lastBreak = doc.text.lastIndexOf("\n", keyEndOffset - 1);
    if (lastBreak >= keyStartOffset) keyStartOffset = lastBreak + 1 + (/^[ \t]*/.exec(doc.text.slice(lastBreak + 1))?.[0].length ?? 0);
    let valueEnd = value.range[1];
    // A block value's range ends after its last line break; the value itself ends before.
    while (valueEnd > value.range[0] && /\s/.test(doc.text[valueEnd - 1])) valueEnd--;
    const keyStart = positionAt(doc, keyStartOffset);
    out.push({
      key: lastBreak >= pair.key.range[0] ? doc.text.slice(keyStartOffset, keyEndOffset).trim() : String(pair.key.value),
      line: keyStart.line,
      keyStart: keyStart.column,
      keyEnd: positionAt(doc, keyEndOffset).column,
      valueStart: positionAt(doc, value.range[0]),
      valueEnd: positionAt(doc, valueEnd),
    });
  }
  return out;
}

function verifierBlocks(doc: ExampleDocument, count: number): VerifierBlock[] {
  const out: VerifierBlock[] = [];
  for (let l = doc.bodyStart; l < count; l++) {
    const m = FENCE_OPEN.exec(lineText(doc, l));
    if (!m) continue;
    const fence = m[1];
    const closeRe = new RegExp(`^[ \\t]{0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
    let close: number | undefined;
    for (let k = l + 1; k < count; k++) {
      if (closeRe.test(lineText(doc, k))) {
        close = k;
        break;
      }
    }
    // Without a closing fence the block runs to the end, less the empty line after a final newline.
    const end = close ?? (lineText(doc, count - 1) === "" ? count - 1 : count);
    out.push({ open: l, close, firstLine: l + 1, lastLine: end - 1, fence });
    if (close === undefined) break;
    l = close;
  }
  return out;
}
