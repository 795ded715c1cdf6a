// One text edit that sets a top-level front-matter key (preset, model … from a CodeLens quick
// pick): the value is replaced in place, keeping a trailing comment; a missing key is added
// before the closing `---`; a file without front matter gets one.
import { stringify } from "yaml";
import { exampleLayout } from "./layout";

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

export function setFrontMatterKey(text: string, key: string, value: string | number | boolean): LineEdit {
  const layout = exampleLayout(text);
  const rendered = yamlScalar(value);
  const existing = layout.keys.find((k) => k.key === key);
  if (existing) {
    return {
      startLine: existing.line,
      startColumn: existing.valueStart,
      endLine: existing.line,
      endColumn: existing.valueEnd,
      text: rendered,
    };
  }
  const fm = layout.frontMatter;
  if (fm?.close !== undefined) {
    return { startLine: fm.close, startColumn: 0, endLine: fm.close, endColumn: 0, text: `${key}: ${rendered}\n` };
  }
  return { startLine: 0, startColumn: 0, endLine: 0, endColumn: 0, text: `---\n${key}: ${rendered}\n---\n` };
}
