// Entry point of the extension: wires each feature (one file each in src/vscode) to the editor.
import * as vscode from "vscode";
import { registerAuthoring } from "./authoring";
import { SETUP_COMMAND, setUpEngine } from "./engineSetup";
import { log } from "./log";

export interface OneShotApi {
  /** Used by the integration tests to reach the running extension. */
  readonly extensionPath: string;
}

export function activate(ctx: vscode.ExtensionContext): OneShotApi {
  ctx.subscriptions.push(
    log(),
    vscode.commands.registerCommand(SETUP_COMMAND, () => setUpEngine(ctx)),
  );
  registerAuthoring(ctx);
  return { extensionPath: ctx.extensionPath };
}

export function deactivate(): void {}
