// Wires the run monitor into the editor: the Runs view, the status bar item, the dashboards and
// the run commands. Called once from activate().
import * as vscode from "vscode";
import type { RunTracker } from "../core/monitor/tracker";
import { DashboardManager } from "./dashboard";
import { RunMonitor } from "./monitor";
import { COMMANDS, RUNS_VIEW } from "./commands";
import {
  deleteRun,
  exportMetrics,
  openConfig,
  pickRun,
  resumeRun,
  retryRun,
  revealRun,
  stopRun,
  type RunArg,
} from "./runActions";
import { RunEndings } from "./endings";
import { RunsTreeProvider } from "./runsView";
import { openRunReport } from "./reportView";
import { copyCheckpointPath, evaluateCheckpoint, revealCheckpoint, type CheckpointArg } from "./checkpointActions";
import { RunStatusBar } from "./statusBar";

export interface RunsFeature {
  monitor: RunMonitor;
  dashboards: DashboardManager;
  endings: RunEndings;
}

export function registerRuns(ctx: vscode.ExtensionContext): RunsFeature {
  const monitor = new RunMonitor();
  const tree = new RunsTreeProvider(monitor);
  const view = vscode.window.createTreeView(RUNS_VIEW, { treeDataProvider: tree, showCollapseAll: true });
  tree.view = view;
  tree.updateBadge();
  const dashboards = new DashboardManager(ctx, monitor);
  const endings = new RunEndings(monitor);

  const withRun =
    (title: string, f: (t: RunTracker) => unknown, statuses?: Parameters<typeof pickRun>[3]) =>
    async (arg: RunArg) => {
      const t = await pickRun(monitor, arg, title, statuses);
      if (t) await f(t);
    };

  ctx.subscriptions.push(
    monitor,
    tree,
    view,
    dashboards,
    endings,
    new RunStatusBar(monitor),
    vscode.commands.registerCommand(
      COMMANDS.openDashboard,
      withRun("Open the dashboard of", (t) => dashboards.open(t.dir)),
    ),
    vscode.commands.registerCommand(
      COMMANDS.stopRun,
      withRun("Stop run", (t) => stopRun(ctx, monitor, t), ["running"]),
    ),
    vscode.commands.registerCommand(
      COMMANDS.resumeRun,
      withRun("Resume run", (t) => resumeRun(ctx, monitor, t), ["interrupted", "stopped", "failed"]),
    ),
    vscode.commands.registerCommand(
      COMMANDS.retryRun,
      withRun("Retry run (same settings, new run)", (t) => retryRun(ctx, monitor, t), ["interrupted", "stopped", "failed"]),
    ),
    vscode.commands.registerCommand(COMMANDS.revealRun, withRun("Reveal the folder of", revealRun)),
    vscode.commands.registerCommand(COMMANDS.exportRunMetrics, withRun("Export the metrics of", (t) => exportMetrics(t))),
    vscode.commands.registerCommand(COMMANDS.deleteRun, withRun("Delete run", (t) => deleteRun(monitor, t))),
    vscode.commands.registerCommand(COMMANDS.openRunConfig, withRun("Open the config of", openConfig)),
    vscode.commands.registerCommand(COMMANDS.refreshRuns, () => monitor.registry.scan()),
    vscode.commands.registerCommand(COMMANDS.openRunReport, withRun("Open the report of", openRunReport)),
    vscode.commands.registerCommand(COMMANDS.evaluateCheckpoint, (arg: CheckpointArg) => evaluateCheckpoint(ctx, arg)),
    vscode.commands.registerCommand(COMMANDS.revealCheckpoint, (arg: CheckpointArg) => revealCheckpoint(arg)),
    vscode.commands.registerCommand(COMMANDS.copyCheckpointPath, (arg: CheckpointArg) => copyCheckpointPath(arg)),
  );
  return { monitor, dashboards, endings };
}
