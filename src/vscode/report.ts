// "Open Report" for a run: builds `oneshot report`'s files (report.md with its SVG charts, and the
// self-contained report.html) in the run directory and shows report.md in the editor's Markdown
// preview, which works in desktop VS Code and in a browser-hosted one alike.
// openRunReport is the one entry point the notification (endings.ts) calls; a report webview can
// replace its body without touching the callers.
import * as vscode from "vscode";
import { ReportError, writeReport } from "../core/report/index";
import type { RunTracker } from "../core/monitor/tracker";
import { log } from "./log";

/** Writes the run's report and opens it; the written files, or undefined when the report could not be built (said in a toast). */
export async function openRunReport(run: Pick<RunTracker, "dir" | "id">): Promise<{ markdown: string; html: string } | undefined> {
  let written: ReturnType<typeof writeReport>;
  try {
    written = writeReport(run.dir);
  } catch (e) {
    if (!(e instanceof ReportError) && !(e instanceof Error && "code" in e)) throw e;
    void vscode.window.showErrorMessage(`One-Shot RLVR: no report for ${run.id}: ${e.message}`);
    return undefined;
  }
  log().info(`Wrote ${written.markdown} and ${written.html}`);
  try {
    await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(written.markdown));
  } catch {
    await vscode.window.showTextDocument(vscode.Uri.file(written.markdown));
  }
  return { markdown: written.markdown, html: written.html };
}
