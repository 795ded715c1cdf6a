// Which documents are example files, and their model (src/core/example/document.ts) and parse,
// cached per document version so that diagnostics, CodeLens, completion, hover and edits share
// one read of the file per edit.
import * as vscode from "vscode";
import { diagnoseExample, readExampleText, type ExampleDocument, type ParseResult } from "../core/example";

export const EXAMPLE_SELECTOR: vscode.DocumentSelector = [
  { language: "markdown", scheme: "file", pattern: "**/*.rlvr.md" },
  { language: "markdown", scheme: "untitled", pattern: "**/*.rlvr.md" },
];

/** Example files the user edits; other schemes (git:, diff views, …) get no diagnostics or checks. */
export const isExample = (doc: vscode.TextDocument): boolean =>
  (doc.uri.scheme === "file" || doc.uri.scheme === "untitled") && doc.uri.path.endsWith(".rlvr.md");

interface Cached {
  version: number;
  document?: ExampleDocument;
  parse?: ParseResult;
}
const cache = new Map<string, Cached>();

function entry(doc: vscode.TextDocument): Cached {
  const key = doc.uri.toString();
  let c = cache.get(key);
  if (!c || c.version !== doc.version) {
    c = { version: doc.version };
    cache.set(key, c);
  }
  return c;
}

/** The file's model: front matter, key and value positions, verifier block. */
export function documentOf(doc: vscode.TextDocument): ExampleDocument {
  const c = entry(doc);
  c.document ??= readExampleText(doc.getText());
  return c.document;
}

export function parsed(doc: vscode.TextDocument): ParseResult {
  const c = entry(doc);
  c.parse ??= diagnoseExample(documentOf(doc), doc.uri.fsPath);
  return c.parse;
}

export function forget(doc: vscode.TextDocument): void {
  cache.delete(doc.uri.toString());
}

/** The example document for a command: the given URI, else the active editor's example file. */
export async function exampleDocument(arg?: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : undefined;
  if (uri) return vscode.workspace.openTextDocument(uri);
  const active = vscode.window.activeTextEditor?.document;
  return active && isExample(active) ? active : undefined;
}

export async function noExampleMessage(): Promise<void> {
  await vscode.window.showInformationMessage("One-Shot RLVR: open an example file (*.rlvr.md) first.");
}
