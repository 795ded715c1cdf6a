// "Train on Selection": the selected text of any document becomes the problem of a new example
// file next to that document; the answer and verifier come from a quick input, and training can
// start at once.
import * as path from "node:path";
import * as vscode from "vscode";
import type { VerifierKind } from "../core/verifier/api";
import { COMMANDS } from "./commands";
import { createExample, defaultExampleDir } from "./exampleFile";
import { KEY_DOCS } from "./keyInfo";
import { settings } from "./settings";

/** Programmatic use (tests, other commands): answer and verifier given, no prompts. */
export interface SelectionArgs {
  answer?: string;
  verifier?: VerifierKind;
  /** false: do not offer to start training afterwards. */
  offerTraining?: boolean;
}

export async function trainSelection(args: SelectionArgs = {}): Promise<vscode.Uri | undefined> {
  const editor = vscode.window.activeTextEditor;
  const problem = editor?.document.getText(editor.selection).trim();
  if (!editor || !problem) {
    void vscode.window.showInformationMessage("One-Shot RLVR: select the text of a problem first, then run Train on Selection.");
    return undefined;
  }
  const answer =
    args.answer ??
    (await vscode.window.showInputBox({
      title: "Train on selection (1/2): reference answer",
      prompt: "The answer a correct solution ends with, as LaTeX or plain text",
      placeHolder: "e.g. \\frac{7}{2}",
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : "The reference answer is required"),
    }));
  if (!answer?.trim()) return undefined;
  const verifier = args.verifier ?? (await pickVerifier());
  if (!verifier) return undefined;

  const source = editor.document.uri;
  const dir = source.scheme === "file" ? path.dirname(source.fsPath) : defaultExampleDir();
  if (!dir) {
    void vscode.window.showErrorMessage("One-Shot RLVR: open a folder or save the document first, so the example file has a place to go.");
    return undefined;
  }
  const created = await createExample(dir, {
    problem,
    answer: answer.trim(),
    verifier,
    preset: settings().defaultPreset,
    source: source.scheme === "file" ? path.basename(source.fsPath) : undefined,
  });
  const uri = created.document.uri;
  if (args.offerTraining !== false) {
    const train = "Train now";
    const test = "Test verifier";
    void vscode.window
      .showInformationMessage(`One-Shot RLVR: created ${path.basename(uri.fsPath)}.`, train, test)
      .then((pick) => {
        if (pick === train) return vscode.commands.executeCommand(COMMANDS.trainExample, uri);
        if (pick === test) return vscode.commands.executeCommand(COMMANDS.testVerifier, uri);
      });
  }
  return uri;
}

/** The verifier choices with the schema's wording (e.g. "math (symbolic equality, default)"). */
async function pickVerifier(): Promise<VerifierKind | undefined> {
  const kinds = (KEY_DOCS.get("verifier")?.values ?? ["math"]) as VerifierKind[];
  const description = KEY_DOCS.get("verifier")?.description ?? "";
  const items = kinds.map((k) => ({ label: k, detail: explain(description, k) }));
  const pick = await vscode.window.showQuickPick(items, {
    title: "Train on selection (2/2): verifier",
    placeHolder: "How responses are graded",
    ignoreFocusOut: true,
  });
  return pick?.label;
}

/** The parenthesised explanation after `kind` in the schema's description, if it has one. */
function explain(description: string, kind: string): string | undefined {
  return new RegExp(`\\b${kind} \\(([^)]*)\\)`).exec(description)?.[1];
}
