// Completion in example files: front-matter keys (with their meaning, type and preset defaults)
// at the start of a line, and a key's allowed values after its colon.
import * as vscode from "vscode";
import { keyDocMarkdown, type KeyDoc } from "../core/authoring/keyDocs";
import { inFrontMatter, PRESETS } from "../core/example";
import { documentOf, EXAMPLE_SELECTOR } from "./exampleDocs";
import { KEY_DOCS, presetOf, presetSummary } from "./keyInfo";

export function registerCompletion(): vscode.Disposable {
  return vscode.languages.registerCompletionItemProvider(EXAMPLE_SELECTOR, { provideCompletionItems }, ":", " ");
}

function provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] | undefined {
  const file = documentOf(doc);
  if (!inFrontMatter(file, pos.line)) return undefined;
  const before = doc.lineAt(pos.line).text.slice(0, pos.character);
  const keyValue = /^([A-Za-z_][\w-]*)\s*:\s*(\S*)$/.exec(before);
  if (keyValue) return valueItems(doc, keyValue[1], pos, keyValue[2].length);
  if (/^[A-Za-z_]*$/.test(before)) {
    const present = new Set(file.keys.filter((k) => k.line !== pos.line).map((k) => k.key));
    const preset = presetOf(doc);
    return [...KEY_DOCS.values()].filter((d) => !present.has(d.key)).map((d) => keyItem(d, preset));
  }
  return undefined;
}

function keyItem(d: KeyDoc, preset: string): vscode.CompletionItem {
  const item = new vscode.CompletionItem(d.key, vscode.CompletionItemKind.Property);
  item.detail = d.typeText;
  item.documentation = new vscode.MarkdownString(keyDocMarkdown(d, preset));
  // Required and commonly edited keys first, the rest alphabetically.
  item.sortText = `${d.required ? 0 : ["verifier", "preset", "model", "steps"].includes(d.key) ? 1 : 2}${d.key}`;
  const snippet = new vscode.SnippetString(`${d.key}: `);
  if (d.values) snippet.appendChoice(d.values);
  else if (d.defaults?.[preset] !== undefined && d.defaults[preset] !== "—") snippet.appendPlaceholder(d.defaults[preset]);
  else snippet.appendTabstop();
  item.insertText = snippet;
  return item;
}

function valueItems(doc: vscode.TextDocument, key: string, pos: vscode.Position, typed: number): vscode.CompletionItem[] | undefined {
  const d = KEY_DOCS.get(key);
  if (!d) return undefined;
  const range = new vscode.Range(pos.line, pos.character - typed, pos.line, pos.character);
  const preset = presetOf(doc);
  const values = new Map<string, string>();
  for (const v of d.values ?? []) values.set(v, key === "preset" ? presetSummary(v as keyof typeof PRESETS) : d.typeText);
  if (key === "model") for (const [name, s] of Object.entries(PRESETS)) values.set(s.model, `model of the ${name} preset`);
  const def = d.defaults?.[preset];
  if (!d.values && key !== "model" && def !== undefined && def !== "—") values.set(def, `default of the ${preset} preset`);
  return [...values].map(([value, detail], i) => {
    const item = new vscode.CompletionItem(value, vscode.CompletionItemKind.Value);
    item.detail = detail;
    item.range = range;
    item.sortText = String(i).padStart(3, "0");
    return item;
  });
}
