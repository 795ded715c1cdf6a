// Hover on a front-matter key: its meaning, type, allowed values and the default of each preset.
import * as vscode from "vscode";
import { keyDocMarkdown } from "../core/authoring/keyDocs";
import { inFrontMatter } from "../core/authoring/layout";
import { EXAMPLE_SELECTOR, layoutOf } from "./exampleDocs";
import { KEY_DOCS, presetOf, presetSummary } from "./keyInfo";

export function registerHover(): vscode.Disposable {
  return vscode.languages.registerHoverProvider(EXAMPLE_SELECTOR, { provideHover });
}

function provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
  const layout = layoutOf(doc);
  if (!inFrontMatter(layout, pos.line)) return undefined;
  const k = layout.keys.find((x) => x.line === pos.line);
  if (!k) return undefined;
  const d = KEY_DOCS.get(k.key);
  const onKey = pos.character <= k.key.length;
  const onValue = pos.character >= k.valueStart && pos.character <= k.valueEnd;
  if (!d) {
    if (!onKey) return undefined;
    return new vscode.Hover(`\`${k.key}\` is not a setting of example files; see the Problems panel for the valid keys.`, keyRange(k));
  }
  if (onKey) return new vscode.Hover(new vscode.MarkdownString(keyDocMarkdown(d, presetOf(doc))), keyRange(k));
  if (onValue && k.key === "preset") {
    const value = doc.lineAt(k.line).text.slice(k.valueStart, k.valueEnd).replace(/^['"]|['"]$/g, "");
    if (d.values?.includes(value)) {
      const range = new vscode.Range(k.line, k.valueStart, k.line, k.valueEnd);
      return new vscode.Hover(`**${value}** preset: ${presetSummary(value as Parameters<typeof presetSummary>[0])}`, range);
    }
  }
  return undefined;
}

const keyRange = (k: { line: number; key: string }) => new vscode.Range(k.line, 0, k.line, k.key.length);
