// Hover on a front-matter key: its meaning, type, allowed values and the default of each preset.
import * as vscode from "vscode";
import { keyDocMarkdown } from "../core/authoring/keyDocs";
import { inFrontMatter, type KeyEntry } from "../core/example";
import { documentOf, EXAMPLE_SELECTOR } from "./exampleDocs";
import { KEY_DOCS, presetOf, presetSummary } from "./keyInfo";

export function registerHover(): vscode.Disposable {
  return vscode.languages.registerHoverProvider(EXAMPLE_SELECTOR, { provideHover });
}

function provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
  const file = documentOf(doc);
  if (!inFrontMatter(file, pos.line)) return undefined;
  const k = file.keys.find((x) => x.line === pos.line);
  if (!k) return undefined;
  const d = KEY_DOCS.get(k.key);
  const onKey = pos.character >= k.keyStart && pos.character <= k.keyEnd;
  const value = new vscode.Range(k.valueStart.line, k.valueStart.column, k.valueEnd.line, k.valueEnd.column);
  if (!d) {
    if (!onKey) return undefined;
    return new vscode.Hover(`\`${k.key}\` is not a setting of example files; see the Problems panel for the valid keys.`, keyRange(k));
  }
  if (onKey) return new vscode.Hover(new vscode.MarkdownString(keyDocMarkdown(d, presetOf(doc))), keyRange(k));
  if (value.contains(pos) && k.key === "preset") {
    const name = doc.getText(value).replace(/^['"]|['"]$/g, "");
    if (d.values?.includes(name)) {
      return new vscode.Hover(`**${name}** preset: ${presetSummary(name as Parameters<typeof presetSummary>[0])}`, value);
    }
  }
  return undefined;
}

const keyRange = (k: KeyEntry) => new vscode.Range(k.line, k.keyStart, k.line, k.keyEnd);
