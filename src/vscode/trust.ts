// Workspace trust: training and custom verifiers run code from the workspace, so an untrusted
// workspace gets a message with a way to trust it instead; built-in verifiers run no workspace
// code and keep working.
import * as vscode from "vscode";

export const MANAGE_TRUST = "Manage Workspace Trust";

export const isTrusted = (): boolean => vscode.workspace.isTrusted;

/**
 * True when trusted; otherwise shows why `what` is disabled with a "Manage Workspace Trust" button
 * and returns false at once (the command that asked ends; the button works while the message shows).
 * `what` completes "… is disabled in an untrusted workspace", e.g. "Training".
 */
export function requireTrust(what: string, why: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(`One-Shot RLVR: ${what} is disabled in an untrusted workspace, because it ${why}.`, MANAGE_TRUST)
    .then((pick) => pick === MANAGE_TRUST && vscode.commands.executeCommand("workbench.trust.manage"));
  return false;
}

export const CUSTOM_VERIFIER_WHY = "runs the JavaScript of this file's verifier block";
export const TRAINING_WHY = "runs the engine and this file's verifier";
