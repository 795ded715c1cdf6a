// Announces how a run of this workspace ended — completed, stopped, failed (with the error and its
// hint) or interrupted — once, as a notification with the next steps: Open Dashboard, Open Report,
// and Resume or Retry for a run that ended short. Which runs just ended is decided in
// src/core/monitor/endings.ts; this file only shows it.
import * as vscode from "vscode";
import { EndingWatch, type Ending } from "../core/monitor/endings";
import { recoveryFor } from "../core/monitor/recovery";
import { COMMANDS } from "./commands";
import type { RunMonitor } from "./monitor";
import { openRunReport } from "./reportView";

const OPEN_DASHBOARD = "Open Dashboard";
const OPEN_REPORT = "Open Report";

export class RunEndings implements vscode.Disposable {
  private readonly watch = new EndingWatch(Date.now());
  private readonly unsubscribe: () => void;
  /** Every ending announced in this window, oldest first (the integration tests read it). */
  readonly announced: (Ending & { actions: string[] })[] = [];

  constructor(private readonly monitor: RunMonitor) {
    this.unsubscribe = monitor.registry.onChange((changed) => {
      for (const e of this.watch.check(changed)) void this.announce(e);
    });
  }

  private async announce(e: Ending): Promise<void> {
    const t = this.monitor.registry.get(e.dir);
    const recovery = t && recoveryFor(t.status, t.dir, t.model.checkpoints);
    const again = recovery === "resume" ? "Resume" : recovery === "retry" ? "Retry" : undefined;
    const actions = [OPEN_DASHBOARD, OPEN_REPORT, ...(again ? [again] : [])];
    this.announced.push({ ...e, actions });
    const text = `One-Shot RLVR: ${e.message}${e.hint ? ` ${e.hint}` : ""}`;
    const w = vscode.window;
    const pick = await (e.severity === "error" ? w.showErrorMessage(text, ...actions) : e.severity === "warning" ? w.showWarningMessage(text, ...actions) : w.showInformationMessage(text, ...actions));
    if (pick === OPEN_DASHBOARD) await vscode.commands.executeCommand(COMMANDS.openDashboard, e.dir);
    else if (pick === OPEN_REPORT) openRunReport(e);
    else if (pick === "Resume") await vscode.commands.executeCommand(COMMANDS.resumeRun, e.dir);
    else if (pick === "Retry") await vscode.commands.executeCommand(COMMANDS.retryRun, e.dir);
  }

  dispose(): void {
    this.unsubscribe();
  }
}
