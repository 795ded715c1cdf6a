// "Test verifier": grades the reference answer and the near misses with the example's verifier,
// stores the verdicts (CodeLens, decoration, diagnostics pick them up) and says the outcome.
import * as vscode from "vscode";
import type { VerifierReport } from "../core/authoring/verifierCheck";
import { verdictReason } from "../core/authoring/verifierCheck";
import { exampleDocument, noExampleMessage } from "./exampleDocs";
import { parsed } from "./exampleDocs";
import { log } from "./log";
import { CUSTOM_VERIFIER_WHY, requireTrust } from "./trust";
import { ignoredVerifierBlock, useCustomVerifier } from "./verifierQuickFix";
import { runFullCheck } from "./verifierRunner";
import { reportSummary, verdictKey, type Verdicts } from "./verdicts";

export async function testVerifier(verdicts: Verdicts, arg?: unknown): Promise<VerifierReport | undefined> {
  const doc = await exampleDocument(arg);
  if (!doc) return void (await noExampleMessage());
  const key = verdictKey(doc);
  try {
    const outcome = await runFullCheck(parsed(doc).example);
    if (outcome.status === "invalid") {
      const ignored = ignoredVerifierBlock(doc);
      if (ignored) {
        // Not awaited: the command returns at once; the button works while the message shows.
        const fix = "Use verifier: custom";
        void vscode.window
          .showErrorMessage(
            `One-Shot RLVR: cannot test the verifier. The file has a verifier block, but its front matter says \`verifier: ${ignored}\`.`,
            fix,
          )
          .then(async (pick) => {
            if (pick === fix && (await useCustomVerifier(doc))) await testVerifier(verdicts, doc.uri);
          });
        return undefined;
      }
      void vscode.window.showErrorMessage(`One-Shot RLVR: cannot test the verifier. ${outcome.message}`);
      return undefined;
    }
    if (outcome.status === "untrusted") {
      requireTrust("Testing a custom verifier", CUSTOM_VERIFIER_WHY);
      return undefined;
    }
    const report = outcome.value;
    if (key) verdicts.setReport(doc, key, report);
    if (report.loadFailure) {
      const at = report.loadFailure.line;
      const go = "Go to Line";
      void vscode.window.showErrorMessage(`One-Shot RLVR: ${reportSummary(report)}.`, ...(at ? [go] : [])).then(async (pick) => {
        if (pick !== go || !at) return;
        const editor = await vscode.window.showTextDocument(doc);
        const pos = new vscode.Position(at - 1, 0);
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos));
      });
      return report;
    }
    const summary = `One-Shot RLVR: ${reportSummary(report)}.`;
    const wrong = report.verdicts.filter((v) => !v.ok);
    if (wrong.length === 0) vscode.window.setStatusBarMessage(summary, 8000);
    else void vscode.window.showWarningMessage(`${summary} ${verdictReason(wrong[0])}`);
    return report;
  } catch (e) {
    log().error(`Test verifier failed: ${(e as Error).stack ?? e}`);
    void vscode.window.showErrorMessage(`One-Shot RLVR: the verifier could not be run: ${(e as Error).message}`);
    return undefined;
  }
}

/** Opens the response a verdict graded, with the verdict, in a read-only preview. */
export async function showVerifierCase(verdicts: Verdicts, uri: vscode.Uri, kind: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const v = verdicts.report(doc)?.verdicts.find((x) => x.case.kind === kind);
  if (!v) return;
  const content = [
    `# ${v.case.label}: reward ${v.result.reward} (expected ${v.case.expected})`,
    "",
    verdictReason(v),
    "",
    "## Response graded",
    "",
    v.case.response,
    "",
  ].join("\n");
  const shown = await vscode.workspace.openTextDocument({ language: "markdown", content });
  await vscode.window.showTextDocument(shown, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}
