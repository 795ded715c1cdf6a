// The status bar item of the active run (the most recently started one still running): step,
// reward and ETA; a click opens its dashboard. Hidden while nothing runs.
import * as vscode from "vscode";
import { formatDuration } from "../core/monitor/eta";
import { phaseText } from "../protocol/phase";
import type { RunMonitor } from "./monitor";
import { COMMANDS } from "./commands";

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("oneshot.activeRun", vscode.StatusBarAlignment.Left, 10);
  private readonly unsubscribe: () => void;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly monitor: RunMonitor) {
    this.item.name = "One-Shot RLVR: active run";
    this.unsubscribe = monitor.registry.onChange(() => (this.timer ??= setTimeout(() => this.update(), 250)));
    this.update();
  }

  update(): void {
    this.timer = undefined;
    const t = this.monitor.registry.active();
    if (!t) {
      this.item.hide();
      return;
    }
    const h = t.model.headline();
    const parts = [`$(sync~spin) ${t.id}`, h.phase ? phaseText(h.phase) : `step ${h.step}/${h.totalSteps || "?"}`];
    if (h.lastReward !== null) parts.push(`r ${h.lastReward.toFixed(2)}`);
    if (h.etaMs !== null) parts.push(`ETA ${formatDuration(h.etaMs)}`);
    this.item.text = parts.join(" · ");
    const best = h.benchmarks.map((b) => `${b.benchmark} ${(100 * b.last).toFixed(1)}%`).join(", ");
    this.item.tooltip = `One-Shot RLVR run ${t.id}${best ? ` — ${best}` : ""}. Click to open its dashboard.`;
    this.item.command = { command: COMMANDS.openDashboard, title: "Open Dashboard", arguments: [t.dir] };
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
    this.item.dispose();
  }
}
