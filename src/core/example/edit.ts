// One text edit that sets a top-level front-matter key (preset, model … from a CodeLens quick
// pick), located by the file's model: the value's range is replaced, so comments, quoting and
// spacing around it stay as written (re-printing the YAML document would reflow them); a missing
// key is added before the closing `---`; a file without front matter gets one.
import { stringify } from "yaml";
import { lineText, readExampleText, type ExampleDocument } from "./document";

export interface LineEdit {
  /** 0-based line and column range to replace (end exclusive); start == end inserts. */
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  text: string;
}

export function yamlScalar(value: string | number | boolean): string {
  if (typeof value !== "string") return String(value);
  return stringify(value, { defaultStringType: "PLAIN", lineWidth: 0 }).trimEnd();
}

export function setFrontMatterKey(file: string | ExampleDocument, key: string, value: string | number | boolean): LineEdit {
  const doc = typeof file === "string" ? readExampleText(file) : file;
  const rendered = yamlScalar(value);
  const existing = doc.keys.find((k) => k.key === key);
  if (existing) {
    const { valueStart: s, valueEnd: e } = existing;
    // `key:   # comment` has an empty value right before the comment, which needs a space before it.
    const beforeComment = s.line === e.line && s.column === e.column && lineText(doc, e.line)[e.column] === "#";
    return { startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: e.column, text: beforeComment ? `${rendered} ` : rendered };
  }
  const close = doc.frontMatter?.close;
  if (close !== undefined) {
    return { startLine: close, startColumn: 0, endLine: close, endColumn: 0, text: `${key}: ${rendered}\n` };
  }
  return { startLine: 0, startColumn: 0, endLine: 0, endColumn: 0, text: `---\n${key}: ${rendered}\n---\n` };
}
