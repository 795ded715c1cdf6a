// CodeLens on example files. First line: "▶ Train on this example", "✓ Test verifier" and the
// resolved preset and model (click to change). After "Test verifier": one lens per verdict on the
// `verifier:` line (or `answer:`), whose tooltip gives the reason and whose click shows the
// graded response.
import * as vscode from "vscode";
import { verdictReason, verdictTitle } from "../core/authoring/verifierCheck";
import { verifierSpecOf } from "../core/example";
import { planTooltip } from "../core/plan";
import { COMMANDS } from "./commands";
import { documentOf, EXAMPLE_SELECTOR, parsed } from "./exampleDocs";
import { modelOf, namedOf, presetOf } from "./keyInfo";
import { planOfDocument } from "./plan";
import type { Verdicts } from "./verdicts";

export function registerCodeLens(verdicts: Verdicts, extensionPath: string): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    provideCodeLenses: (doc) => lenses(doc, verdicts, extensionPath),
  };
  return vscode.Disposable.from(
    changed,
    verdicts.onDidChange(() => changed.fire()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration("oneshot") && changed.fire()),
    vscode.languages.registerCodeLensProvider(EXAMPLE_SELECTOR, provider),
  );
}

function lenses(doc: vscode.TextDocument, verdicts: Verdicts, extensionPath: string): vscode.CodeLens[] {
  const top = new vscode.Range(0, 0, 0, 0);
  const args = [doc.uri];
  const trusted = vscode.workspace.isTrusted;
  const example = parsed(doc).example;
  const custom = example ? verifierSpecOf(example).kind === "custom" : false;
  const out = [
    new vscode.CodeLens(top, {
      title: trusted ? "▶ Train on this example" : "⊘ Training disabled (untrusted workspace)",
      tooltip: trusted
        ? "Start a detached training run on this example and open its dashboard"
        : "Training runs code: trust the workspace to enable it",
      command: COMMANDS.trainExample,
      arguments: args,
    }),
    new vscode.CodeLens(top, {
      title: custom && !trusted ? "⊘ Custom verifier disabled (untrusted workspace)" : "✓ Test verifier",
      tooltip: "Grade the reference answer (must score 1) and near misses (must score 0) with this file's verifier",
      command: COMMANDS.testVerifier,
      arguments: args,
    }),
    ...settingLenses(doc, top, args, extensionPath),
  ];
  const report = verdicts.report(doc);
  if (report) {
    const file = documentOf(doc);
    const line = (file.keys.find((k) => k.key === "verifier") ?? file.keys.find((k) => k.key === "answer"))?.line ?? 0;
    const at = new vscode.Range(line, 0, line, 0);
    for (const v of report.verdicts) {
      out.push(
        new vscode.CodeLens(at, {
          title: verdictTitle(v),
          tooltip: verdictReason(v),
          command: COMMANDS.showVerifierCase,
          arguments: [doc.uri, v.case.kind],
        }),
      );
    }
  }
  return out;
}

/**
 * The preset and model lenses: the file's own values even while another key has an error (the
 * lens then says the front matter has errors); a `preset:` that names no preset shows as written.
 */
function settingLenses(doc: vscode.TextDocument, top: vscode.Range, args: unknown[], extensionPath: string): vscode.CodeLens[] {
  const named = namedOf(doc);
  if (named.unreadable)
    return [new vscode.CodeLens(top, { title: "⚠ Front matter has errors: see the Problems panel", command: "workbench.actions.view.problems" })];
  const note = named.hasErrors ? " (front matter has errors)" : "";
  return [
    new vscode.CodeLens(top, {
      title: named.badPreset !== undefined ? `Preset: ⚠ '${named.badPreset}' is not a preset` : `Preset: ${presetOf(doc)}`,
      tooltip: presetTooltip(doc, extensionPath),
      command: COMMANDS.changePreset,
      arguments: args,
    }),
    new vscode.CodeLens(top, {
      title: `Model: ${modelOf(doc)}${note}`,
      tooltip: "Change the model (writes `model:` in the front matter)",
      command: COMMANDS.changeModel,
      arguments: args,
    }),
  ];
}

/** The preset lens's tooltip: what clicking does, and the plan of the run it would start (oneshot plan's summary). */
function presetTooltip(doc: vscode.TextDocument, extensionPath: string): string {
  const click = "Change the preset (writes `preset:` in the front matter)";
  const out = planOfDocument(doc, extensionPath);
  if (!out) return click;
  return `${planTooltip(out.plan, out.refusal)}\n\n${click}`;
}
