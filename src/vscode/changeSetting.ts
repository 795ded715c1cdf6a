// "Preset: …" and "Model: …" CodeLens: a quick pick whose choice is written into the front matter.
import * as path from "node:path";
import * as vscode from "vscode";
import { PRESET_NAMES, PRESETS, setFrontMatterKey, type PresetName } from "../core/example";
import { presetNeeds } from "../core/train/presetNeeds";
import { documentOf, exampleDocument, noExampleMessage } from "./exampleDocs";
import { modelOf, presetOf, presetSummary } from "./keyInfo";

/** The edit that writes `key: value` into the document's front matter. */
export function keyEdit(doc: vscode.TextDocument, key: string, value: string): vscode.WorkspaceEdit {
  const e = setFrontMatterKey(documentOf(doc), key, value);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(e.startLine, e.startColumn, e.endLine, e.endColumn), e.text);
  return edit;
}

/** Writes `key: value` into the document's front matter; true when the edit applied. */
export async function setKey(doc: vscode.TextDocument, key: string, value: string): Promise<boolean> {
  return vscode.workspace.applyEdit(keyEdit(doc, key, value));
}

/** Arg: the example's URI; a second arg names the preset without asking (programmatic use). */
export async function changePreset(arg?: unknown, preset?: string): Promise<string | undefined> {
  const doc = await exampleDocument(arg);
  if (!doc) return void (await noExampleMessage());
  const current = presetOf(doc);
  let choice = preset;
  if (choice === undefined) {
    const items = PRESET_NAMES.map((name) => ({
      label: name,
      description: `${name === current ? "current · " : ""}${presetNeeds(name)}`,
      detail: presetSummary(name),
    }));
    choice = (await vscode.window.showQuickPick(items, { title: "Preset for this example", placeHolder: current }))?.label;
  }
  if (choice === undefined || !PRESET_NAMES.includes(choice as (typeof PRESET_NAMES)[number])) return undefined;
  await setKey(doc, "preset", choice);
  return choice;
}

const ENTER_MODEL = "Enter a hub id or folder…";
const BROWSE_MODEL = "Choose a local model folder…";

export async function changeModel(arg?: unknown, model?: string): Promise<string | undefined> {
  const doc = await exampleDocument(arg);
  if (!doc) return void (await noExampleMessage());
  const current = modelOf(doc);
  let choice = model;
  if (choice === undefined) {
    const byModel = new Map<string, PresetName[]>();
    for (const name of PRESET_NAMES) byModel.set(PRESETS[name].model, [...(byModel.get(PRESETS[name].model) ?? []), name]);
    const items: vscode.QuickPickItem[] = [...byModel].map(([m, presets]) => ({
      label: m,
      description: `${m === current ? "current · " : ""}preset ${presets.map((p) => `${p} (${presetNeeds(p)})`).join(", ")}`,
    }));
    if (!byModel.has(current)) items.unshift({ label: current, description: "current" });
    items.push({ label: ENTER_MODEL, alwaysShow: true }, { label: BROWSE_MODEL, alwaysShow: true });
    const picked = (await vscode.window.showQuickPick(items, { title: "Model for this example", placeHolder: current }))?.label;
    if (picked === ENTER_MODEL) {
      choice = await vscode.window.showInputBox({
        title: "Model",
        prompt: "A Hugging Face hub id (e.g. Qwen/Qwen2.5-Math-1.5B) or a local folder",
        value: current,
        validateInput: (v) => (v.trim() ? undefined : "Enter a model"),
      });
    } else if (picked === BROWSE_MODEL) {
      const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: "Use this model" });
      // Relative to the example file, where the run configuration looks first.
      choice = folder?.[0] ? path.relative(path.dirname(doc.uri.fsPath), folder[0].fsPath) || "." : undefined;
    } else choice = picked;
  }
  if (!choice?.trim()) return undefined;
  await setKey(doc, "model", choice.trim());
  return choice.trim();
}
