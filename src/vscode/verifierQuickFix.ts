// The quick fix `verifier: custom` for a verifier block the front matter ignores, offered on the
// parser's diagnostic (light bulb) and by Test Verifier's error message.
import * as vscode from "vscode";
import { ignoredBlockKind } from "../core/authoring/verifierKindFix";
import { documentOf, EXAMPLE_SELECTOR } from "./exampleDocs";
import { keyEdit, setKey } from "./changeSetting";

export const ignoredVerifierBlock = (doc: vscode.TextDocument): string | undefined => ignoredBlockKind(documentOf(doc));

export const useCustomVerifier = (doc: vscode.TextDocument): Promise<boolean> => setKey(doc, "verifier", "custom");

const TITLE = "Use this verifier block: set `verifier: custom`";

export function registerVerifierQuickFix(): vscode.Disposable {
  const provider: vscode.CodeActionProvider = {
    provideCodeActions(doc, _range, context) {
      if (!ignoredVerifierBlock(doc)) return [];
      const src = documentOf(doc);
      const fence = src.verifierBlock!.open;
      const verifierKey = src.keys.find((k) => k.key === "verifier")?.line;
      const about = context.diagnostics.filter((d) => d.range.start.line === fence || d.range.start.line === verifierKey);
      if (!about.length) return [];
      const action = new vscode.CodeAction(TITLE, vscode.CodeActionKind.QuickFix);
      action.edit = keyEdit(doc, "verifier", "custom");
      action.diagnostics = about;
      action.isPreferred = true;
      return [action];
    },
  };
  return vscode.languages.registerCodeActionsProvider(EXAMPLE_SELECTOR, provider, {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  });
}
