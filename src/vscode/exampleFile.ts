// Creates an example file on disk, opens it and selects its problem text.
import { existsSync } from "node:fs";
import * as vscode from "vscode";
import { newExamplePath, renderExample, type ExampleDraft, type RenderedExample } from "../core/authoring/template";

export async function writeAndOpen(file: vscode.Uri, rendered: RenderedExample): Promise<vscode.TextEditor> {
  await vscode.workspace.fs.writeFile(file, Buffer.from(rendered.text, "utf8"));
  const doc = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(doc);
  const start = doc.positionAt(rendered.problemStart);
  editor.selection = new vscode.Selection(start, doc.positionAt(rendered.problemEnd));
  editor.revealRange(new vscode.Range(start, start));
  return editor;
}

/** Writes a new example made from `draft` into `dir`, named after its title or problem. */
export async function createExample(dir: string, draft: ExampleDraft): Promise<vscode.TextEditor> {
  const file = newExamplePath(dir, draft, existsSync);
  return writeAndOpen(vscode.Uri.file(file), renderExample(draft));
}

/** Where new example files go when no document gives a folder: the first workspace folder. */
export function defaultExampleDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}
