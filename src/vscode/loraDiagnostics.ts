// LoRA's checks that need the model (a rank wider than a targeted layer) or another setting
// (the compact optimizer state), on the line of the key concerned: the file's own key, else its
// `preset:` line (the preset set it), else the first line. The same core check refuses the run in
// `oneshot train` (src/core/example/loraCheck.ts).
import * as path from "node:path";
import * as vscode from "vscode";
import { resolveSettings } from "../core/example";
import { loraSettingProblems } from "../core/example/loraCheck";
import { documentOf, parsed } from "./exampleDocs";
import { runChoices } from "./runChoices";

export function loraDiagnostics(doc: vscode.TextDocument, projectRoot: string): vscode.Diagnostic[] {
  const example = parsed(doc).example;
  if (!example) return [];
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
  const { preset, sets } = runChoices(example.frontMatter);
  const merged = resolveSettings({ example, projectRoot, cwd: folder, preset, sets });
  if (!("settings" in merged)) return [];
  const keys = documentOf(doc).keys;
  return loraSettingProblems(merged.settings).map((p) => {
    const line = (keys.find((k) => k.key === p.key) ?? keys.find((k) => k.key === "preset"))?.line ?? 0;
    return new vscode.Diagnostic(doc.lineAt(line).range, p.message, vscode.DiagnosticSeverity.Error);
  });
}
