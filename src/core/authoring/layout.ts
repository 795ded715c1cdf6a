// Where things are in an example file, line by line, for editor features that need positions
// while the user types (completion context, CodeLens placement, front-matter edits): the front
// matter's delimiters, its top-level key lines, and the fenced `verifier` block. Values and
// validation come from the example parser (src/core/example); this never interprets YAML.

export interface KeyLine {
  key: string;
  /** 0-based line of `key:`. */
  line: number;
  /** Column where the value starts (after `key:` and spaces). */
  valueStart: number;
  /** Column where the value ends (before a trailing `# comment` and spaces). */
  valueEnd: number;
}

export interface ExampleLayout {
  /** Lines of the opening and closing `---`; undefined when the file has no front matter. */
  frontMatter?: { open: number; close: number | undefined };
  keys: KeyLine[];
  /** The fenced verifier block: its fence lines and its code lines [firstLine, lastLine]. */
  verifierBlock?: { open: number; close: number | undefined; firstLine: number; lastLine: number };
  /** First line of the problem text (after the front matter, skipping blank lines). */
  problemLine: number;
}

const KEY = /^([A-Za-z_][\w-]*)\s*:(?:\s|$)/;
// The same openings the example parser accepts: ```verifier, ~~~verifier, ```js verifier, ```javascript verifier.
const FENCE_OPEN = /^(\s{0,3})(`{3,}|~{3,})[ \t]*(?:(?:js|javascript)[ \t]+)?verifier\b/;

export function exampleLayout(text: string): ExampleLayout {
  const lines = text.split(/\r?\n/);
  const keys: KeyLine[] = [];
  let frontMatter: ExampleLayout["frontMatter"];
  let bodyStart = 0;
  if (/^---\s*$/.test(lines[0] ?? "")) {
    let close: number | undefined;
    for (let i = 1; i < lines.length; i++) {
      if (/^(---|\.\.\.)\s*$/.test(lines[i])) {
        close = i;
        break;
      }
      const m = KEY.exec(lines[i]);
      if (m) keys.push({ key: m[1], line: i, ...valueSpan(lines[i], m[0].length) });
    }
    frontMatter = { open: 0, close };
    bodyStart = close === undefined ? lines.length : close + 1;
  }
  let problemLine = bodyStart;
  while (problemLine < lines.length - 1 && !lines[problemLine].trim()) problemLine++;

  let verifierBlock: ExampleLayout["verifierBlock"];
  for (let i = bodyStart; i < lines.length; i++) {
    const m = FENCE_OPEN.exec(lines[i]);
    if (!m) continue;
    const fence = m[2];
    let close: number | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      if (new RegExp(`^\\s{0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) {
        close = j;
        break;
      }
    }
    // Without a closing fence the block runs to the end, less the empty string after a final newline.
    const end = close ?? (lines.at(-1) === "" ? lines.length - 1 : lines.length);
    verifierBlock = { open: i, close, firstLine: i + 1, lastLine: end - 1 };
    break;
  }
  return { frontMatter, keys, verifierBlock, problemLine };
}

function valueSpan(line: string, afterColon: number): { valueStart: number; valueEnd: number } {
  let valueStart = afterColon;
  while (valueStart < line.length && line[valueStart] === " ") valueStart++;
  let valueEnd = commentStart(line, valueStart);
  while (valueEnd > valueStart && /\s/.test(line[valueEnd - 1])) valueEnd--;
  return { valueStart, valueEnd };
}

/** Index of a `#` comment that is not inside quotes (YAML needs a space before it). */
function commentStart(line: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === from || /\s/.test(line[i - 1]))) return i;
  }
  return line.length;
}

/** Is the (0-based) line inside the front matter, between its delimiters? */
export function inFrontMatter(layout: ExampleLayout, line: number): boolean {
  const fm = layout.frontMatter;
  return !!fm && line > fm.open && (fm.close === undefined || line < fm.close);
}

export function inVerifierBlock(layout: ExampleLayout, line: number): boolean {
  const b = layout.verifierBlock;
  return !!b && line >= b.firstLine && line <= b.lastLine;
}

/** The code of the verifier block, or undefined when the file has none. */
export function verifierSource(text: string, layout: ExampleLayout): string | undefined {
  const b = layout.verifierBlock;
  if (!b) return undefined;
  return text
    .split(/\r?\n/)
    .slice(b.firstLine, b.lastLine + 1)
    .join("\n");
}
