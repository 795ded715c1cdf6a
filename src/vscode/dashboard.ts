// Dashboard webview panels, one per run. The page is the bundled webview under a strict CSP; a
// DashboardSession (src/core/monitor/session.ts) speaks the protocol. A serializer restores open
// dashboards after a window reload from the state the webview saved (its run directory).
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { dashboardHtml, makeNonce } from "../core/monitor/dashboardHtml";
import { DashboardSession } from "../core/monitor/session";
import type { DashboardState, WebviewToExtension } from "../protocol/messages";
import { log } from "./log";
import type { RunMonitor } from "./monitor";
import { COMMANDS } from "./commands";
import { exportMetrics } from "./runActions";

export const DASHBOARD_VIEW_TYPE = "oneshot.dashboard";

export class DashboardManager implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; session: DashboardSession }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly monitor: RunMonitor,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: DashboardState | undefined) => {
          const runDir = state?.runDir;
          if (!runDir || !existsSync(runDir)) {
            panel.webview.html = `<!DOCTYPE html><html><body><p>This run no longer exists.</p></body></html>`;
            return;
          }
          this.attach(panel, runDir);
        },
      }),
    );
  }

  /** Opens (or reveals) the dashboard of the run in `runDir`. */
  open(runDir: string): void {
    const existing = this.panels.get(path.resolve(runDir));
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, "Run", vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.ctx.extensionUri, "dist")],
    });
    this.attach(panel, runDir);
  }

  private attach(panel: vscode.WebviewPanel, runDir: string): void {
    const session = new DashboardSession(this.monitor.registry, runDir, {
      send: (m) => void panel.webview.postMessage(m),
      command: (cmd, run) => {
        const id = { stop: COMMANDS.stopRun, resume: COMMANDS.resumeRun, retry: COMMANDS.retryRun, reveal: COMMANDS.revealRun, try: COMMANDS.tryModel, report: COMMANDS.openRunReport }[cmd];
        void vscode.commands.executeCommand(id, run.dir);
      },
      export: (format, run) => void exportMetrics(run, format),
      error: (message) => log().warn(message),
    });
    const key = session.run.dir;
    this.panels.get(key)?.panel.dispose();
    this.panels.set(key, { panel, session });
    panel.title = `Run ${session.run.id}`;
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extensionUri, "media", "oneshot.svg");
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.ctx.extensionUri, "dist")],
    };
    const dist = (f: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, "dist", f)).toString();
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: dist("webview.js"),
      styleUri: dist("webview.css"),
    });
    const sub = panel.webview.onDidReceiveMessage((m: WebviewToExtension) => session.handle(m));
    panel.onDidDispose(() => {
      sub.dispose();
      session.dispose();
      if (this.panels.get(key)?.panel === panel) this.panels.delete(key);
    });
  }

  /** Open dashboards: their run, whether the page handshook, and how many steps it drew. */
  openRuns(): { dir: string; ready: boolean; handshakes: number; renderedPoints: number }[] {
    return [...this.panels].map(([dir, { session }]) => ({
      dir,
      ready: session.isReady,
      handshakes: session.handshakes,
      renderedPoints: session.renderedPoints,
    }));
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
