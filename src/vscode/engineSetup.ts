import * as path from "node:path";
import * as vscode from "vscode";
import { ensurePythonEnv, PythonEnvError, type PythonEnvResult } from "../core/engine/pythonEnv";
import { log } from "./log";
import { resolveVenvDir, settings } from "./settings";

/** "One-Shot RLVR: Set Up Engine Environment": the same logic as `oneshot setup`, with progress. */
export async function setUpEngine(ctx: vscode.ExtensionContext): Promise<PythonEnvResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    const manage = "Manage Workspace Trust";
    const pick = await vscode.window.showWarningMessage(
      "Setting up the engine runs Python and pip; it is disabled in an untrusted workspace.",
      manage,
    );
    if (pick === manage) await vscode.commands.executeCommand("workbench.trust.manage");
    return undefined;
  }
  const venvDir = resolveVenvDir(ctx);
  const out = log();
  try {
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: "One-Shot RLVR: setting up the engine environment",
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return ensurePythonEnv({
          engineDir: path.join(ctx.extensionPath, "engine"),
          venvDir,
          basePython: settings().pythonPath || undefined,
          signal: abort.signal,
          onOutput: (line) => {
            out.info(line);
            if (!line.startsWith(" ")) progress.report({ message: line.slice(0, 120) });
          },
        });
      },
    );
    const verb = result.changed ? "is ready" : "is already up to date";
    void vscode.window.showInformationMessage(
      `One-Shot RLVR: the engine environment ${verb} (Python ${result.pythonVersion}).`,
    );
    return result;
  } catch (e) {
    const message = e instanceof PythonEnvError ? e.message : `Unexpected error: ${(e as Error).message}`;
    out.error(message);
    const show = "Show Log";
    const pick = await vscode.window.showErrorMessage(`One-Shot RLVR: ${message.split("\n")[0]}`, show);
    if (pick === show) out.show();
    return undefined;
  }
}
