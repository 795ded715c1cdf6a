// Entry point of the extension: wires each feature (one file each in src/vscode) to the editor.
import * as vscode from "vscode";
import { registerAuthoring } from "./authoring";
import { COMMANDS } from "./commands";
import { setUpEngine } from "./engineSetup";
import { log } from "./log";
import { openReports } from "./reportView";
import { registerRuns } from "./runs";
import { registerTry } from "./tryPanel";

export interface OneShotApi {
  /** Used by the integration tests to reach the running extension. */
  readonly extensionPath: string;
  /** The runs the Runs view shows (integration tests read it). */
  runs(): { dir: string; id: string; status: string; step: number }[];
  /** Open dashboards: run directory, handshake done, steps the page has drawn. */
  openDashboards(): { dir: string; ready: boolean; handshakes: number; renderedPoints: number }[];
  /** Open report panels: run directory and the HTML shown. */
  openReports(): { dir: string; html: string }[];
  /** The run endings this window announced: run directory, status, the notification's text and buttons. */
  endings(): { dir: string; status: string; message: string; hint?: string; actions: string[] }[];
}

export function activate(ctx: vscode.ExtensionContext): OneShotApi {
  ctx.subscriptions.push(
    log(),
    vscode.commands.registerCommand(COMMANDS.setupEngine, () => setUpEngine(ctx)),
  );
  registerAuthoring(ctx);
  const runs = registerRuns(ctx);
  registerTry(ctx, runs.monitor);
  return {
    extensionPath: ctx.extensionPath,
    runs: () => runs.monitor.registry.list().map((t) => ({ dir: t.dir, id: t.id, status: t.status, step: t.model.lastStep })),
    openDashboards: () => runs.dashboards.openRuns(),
    openReports,
    endings: () => [...runs.endings.announced],
  };
}

export function deactivate(): void {}
