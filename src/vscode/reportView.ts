// "Open Report": the HTML `oneshot report` writes (src/core/report), built in memory for one run
// and shown in a webview panel that runs no script at all: the page's own Content-Security-Policy
// allows inline styles and data: images only, and the panel has scripts disabled. One panel per
// run; opening it again rebuilds it from the run's current log.
import * as path from "node:path";
import * as vscode from "vscode";
import { ReportError, renderReportHtml } from "../core/report/index";
import { log } from "./log";

export const REPORT_VIEW_TYPE = "oneshot.report";

const panels = new Map<string, { panel: vscode.WebviewPanel; html: string }>();

/** A run as the report needs it: its directory (its id is the directory's name). */
export interface ReportRun {
  dir: string;
}

/** Shows (or refreshes) the report of a run; undefined when the run cannot be reported on. */
export function openRunReport(run: ReportRun): vscode.WebviewPanel | undefined {
  const dir = path.resolve(run.dir);
  let html: string;
  try {
    html = renderReportHtml(dir).html;
  } catch (e) {
    const why = e instanceof ReportError ? e.message : `could not read ${dir}: ${(e as Error).message}`;
    if (!(e instanceof ReportError)) log().error(`Open Report: ${(e as Error).stack ?? e}`);
    void vscode.window.showErrorMessage(`One-Shot RLVR: no report: ${why}.`);
    return undefined;
  }
  let entry = panels.get(dir);
  if (!entry) {
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, `Report ${path.basename(dir)}`, vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [],
    });
    entry = { panel, html };
    panels.set(dir, entry);
    panel.onDidDispose(() => panels.delete(dir));
  } else entry.panel.reveal();
  entry.html = html;
  entry.panel.webview.html = html;
  return entry.panel;
}

/** Open report panels and the HTML each shows (the integration tests read it). */
export function openReports(): { dir: string; html: string }[] {
  return [...panels].map(([dir, e]) => ({ dir, html: e.html }));
}
