// What the user can do to one checkpoint in the Runs view: evaluate it (`oneshot eval` in a
// terminal, on the run's own benchmarks), reveal its folder, copy its path. "Try the Model" on a
// checkpoint is tryPanel.ts's.
import * as path from "node:path";
import * as vscode from "vscode";
import { checkpointDir } from "../core/run/layout";
import type { RunTracker } from "../core/monitor/tracker";
import { enginePython } from "./trainExample";
import { COMMANDS } from "./commands";
import { revealPath } from "./runActions";
import { TRAINING_WHY, requireTrust } from "./trust";

/** A Runs view checkpoint node, or a checkpoint folder (URI or path). */
export type CheckpointArg = { run: RunTracker; step: number } | vscode.Uri | string | undefined;

export function checkpointPath(arg: CheckpointArg): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === "string") return arg;
  if (arg && typeof arg.step === "number") return checkpointDir(arg.run.dir, arg.step);
  return undefined;
}

function need(arg: CheckpointArg): string | undefined {
  const dir = checkpointPath(arg);
  if (!dir) void vscode.window.showInformationMessage("One-Shot RLVR: choose a checkpoint in the Runs view.");
  return dir;
}

export async function evaluateCheckpoint(ctx: vscode.ExtensionContext, arg: CheckpointArg): Promise<vscode.Terminal | undefined> {
  const dir = need(arg);
  if (!dir) return undefined;
  if (!requireTrust("Evaluating a checkpoint", TRAINING_WHY)) return undefined;
  const python = enginePython(ctx);
  if (!python) {
    const setUp = "Set Up Engine Environment";
    const pick = await vscode.window.showErrorMessage("One-Shot RLVR: the engine's Python environment is not set up yet.", setUp);
    if (pick === setUp) await vscode.commands.executeCommand(COMMANDS.setupEngine);
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  // The CLI itself is the terminal's process, so its table and any error stay on screen.
  const terminal = vscode.window.createTerminal({
    name: `Evaluate ${path.basename(path.dirname(path.dirname(dir)))} ${path.basename(dir)}`,
    shellPath: process.execPath,
    // No --bench: `oneshot eval` on a run's checkpoint scores the run's own benchmarks.
    shellArgs: [path.join(ctx.extensionPath, "dist", "cli.js"), "eval", dir, "--python", python],
    env: { ELECTRON_RUN_AS_NODE: "1" },
    ...(folder ? { cwd: folder } : {}),
  });
  terminal.show();
  return terminal;
}

export async function revealCheckpoint(arg: CheckpointArg): Promise<void> {
  const dir = need(arg);
  if (dir) await revealPath(dir);
}

export async function copyCheckpointPath(arg: CheckpointArg): Promise<string | undefined> {
  const dir = need(arg);
  if (!dir) return undefined;
  await vscode.env.clipboard.writeText(dir);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${dir}`, 4000);
  return dir;
}
