// What the user can do to a run: open its dashboard, stop, resume, retry, reveal, export, delete.
// Stop, resume and retry go through the CLI (`oneshot stop DIR`, `oneshot train --resume DIR
// --detach`, `oneshot train --retry DIR --detach`),
// the same path a terminal user takes; stop falls back to one SIGTERM on the run's pid when the
// CLI cannot do it.
import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";
import { seriesToCsv, seriesToJson } from "../core/monitor/export";
import { newCursor } from "../core/monitor/reducer";
import { applyDelta, emptySeries } from "../protocol/series";
import type { RunTracker } from "../core/monitor/tracker";
import { runFiles } from "../core/run/layout";
import { liveControllerPid } from "../core/run/status";
import type { ObservedRunStatus } from "../core/run/events";
import { recoveryFor } from "../core/monitor/recovery";
import { COMMANDS } from "./commands";
import { log } from "./log";
import type { RunMonitor } from "./monitor";
import { enginePython } from "./trainExample";

/** A command argument: a tree node (has `run`), a run directory, or nothing (ask). */
export type RunArg = { run: RunTracker } | string | vscode.Uri | undefined;

export async function pickRun(
  monitor: RunMonitor,
  arg: RunArg,
  title: string,
  statuses?: readonly ObservedRunStatus[],
): Promise<RunTracker | undefined> {
  if (arg instanceof vscode.Uri) return monitor.registry.open(arg.fsPath);
  if (typeof arg === "string") return monitor.registry.open(arg);
  if (arg && "run" in arg) return arg.run;
  const runs = monitor.registry.list().filter((t) => !statuses || statuses.includes(t.status));
  if (!runs.length) {
    void vscode.window.showInformationMessage(
      statuses ? `One-Shot RLVR: no run is ${statuses.join(" or ")}.` : "One-Shot RLVR: there are no runs yet.",
    );
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    runs.map((t) => ({ label: t.id, description: `${t.status} · step ${t.model.lastStep}/${t.model.totalSteps}`, detail: t.dir, t })),
    { title },
  );
  return pick?.t;
}

function cliPath(ctx: vscode.ExtensionContext): string {
  return path.join(ctx.extensionPath, "dist", "cli.js");
}

/** Runs the CLI with the editor's own Node (Electron's, as plain Node). */
function runCli(ctx: vscode.ExtensionContext, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath(ctx), ...args],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (output) log().info(`oneshot ${args.join(" ")}: ${output}`);
        resolve({ ok: !err, output });
      },
    );
  });
}

function lastLine(s: string): string {
  return s.split("\n").filter(Boolean).at(-1) ?? "";
}

export async function stopRun(ctx: vscode.ExtensionContext, monitor: RunMonitor, t: RunTracker): Promise<void> {
  if (t.status !== "running") {
    void vscode.window.showInformationMessage(`One-Shot RLVR: ${t.id} is not running (${t.status}).`);
    return;
  }
  // --wait 0: return once signalled; the status file tells us when it has stopped. (Waiting here
  // and timing out would make the fallback below send a second signal, which means "stop now".)
  const r = await runCli(ctx, ["stop", t.dir, "--wait", "0"]);
  if (!r.ok) {
    // The CLI could not do it (or is older than `stop`): ask the controller to stop by signal;
    // it saves a checkpoint and writes `stopped` on SIGTERM.
    // Only the run's own controller: its pid may belong to another program by now.
    const pid = liveControllerPid(t.dir);
    try {
      if (pid === undefined) throw new Error("its controller is no longer running");
      process.kill(pid, "SIGTERM");
      log().info(`Sent SIGTERM to run ${t.id} (pid ${pid}).`);
    } catch (e) {
      void vscode.window.showErrorMessage(
        `One-Shot RLVR: could not stop ${t.id}: ${lastLine(r.output) || (e as Error).message}`,
      );
      return;
    }
  }
  void vscode.window.setStatusBarMessage(`$(debug-stop) Stopping ${t.id}…`, 5000);
  monitor.registry.refresh(t.dir);
}

export async function resumeRun(ctx: vscode.ExtensionContext, monitor: RunMonitor, t: RunTracker): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("One-Shot RLVR: resuming a run is disabled in an untrusted workspace.");
    return;
  }
  if (t.status === "running" || t.status === "completed") {
    void vscode.window.showInformationMessage(`One-Shot RLVR: ${t.id} is ${t.status}; there is nothing to resume.`);
    return;
  }
  // Without an intact checkpoint a resume would start over in the same folder: say so, offer Retry.
  if (recoveryFor(t.status, t.dir, t.model.checkpoints) === "retry") {
    const retry = "Retry";
    const pick = await vscode.window.showWarningMessage(`One-Shot RLVR: ${t.id} has no checkpoint to resume from. Retry starts a new run with the same settings.`, retry);
    if (pick === retry) await retryRun(ctx, monitor, t);
    return;
  }
  // The editor's venv (in an installed extension: its global storage, where the CLI does not look).
  const python = enginePython(ctx);
  const r = await runCli(ctx, ["train", "--resume", t.dir, "--detach", ...(python ? ["--python", python] : [])]);
  if (!r.ok) {
    const show = "Show Log";
    const pick = await vscode.window.showErrorMessage(
      `One-Shot RLVR: could not resume ${t.id}: ${lastLine(r.output) || "the CLI failed"}`,
      show,
    );
    if (pick === show) log().show();
    return;
  }
  void vscode.window.setStatusBarMessage(`$(debug-start) Resuming ${t.id}…`, 5000);
  monitor.registry.scan();
}

/** A new run with the settings of `t` (its config.json); its dashboard opens. The new run directory, or undefined. */
export async function retryRun(ctx: vscode.ExtensionContext, monitor: RunMonitor, t: RunTracker): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("One-Shot RLVR: starting a run is disabled in an untrusted workspace.");
    return undefined;
  }
  const python = enginePython(ctx);
  const r = await runCli(ctx, ["train", "--retry", t.dir, "--detach", ...(python ? ["--python", python] : [])]);
  const dir = lastLine(r.output);
  if (!r.ok || !dir) {
    const show = "Show Log";
    const pick = await vscode.window.showErrorMessage(`One-Shot RLVR: could not retry ${t.id}: ${dir || "the CLI failed"}`, show);
    if (pick === show) log().show();
    return undefined;
  }
  monitor.registry.scan();
  await vscode.commands.executeCommand(COMMANDS.openDashboard, dir);
  return dir;
}

export const revealRun = (t: RunTracker): Promise<void> => revealPath(t.dir);

/** A folder in the Explorer when it is inside the workspace (works in a browser too), else in the OS. */
export async function revealPath(dir: string): Promise<void> {
  const uri = vscode.Uri.file(dir);
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand("revealInExplorer", uri);
  else await vscode.commands.executeCommand("revealFileInOS", uri);
}

export async function exportMetrics(t: RunTracker, format?: "csv" | "json"): Promise<void> {
  const fmt =
    format ??
    (await vscode.window.showQuickPick(["csv", "json"] as const, { title: `Export the metrics of ${t.id} as` }));
  if (!fmt) return;
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(t.dir, `metrics.${fmt}`)),
    filters: fmt === "csv" ? { CSV: ["csv"] } : { JSON: ["json"] },
    title: `Export the metrics of ${t.id}`,
  });
  if (!target) return;
  const series = applyDelta(emptySeries(), t.model.deltaSince(newCursor()));
  const text = fmt === "csv" ? seriesToCsv(series) : JSON.stringify(seriesToJson(t.id, series), null, 2) + "\n";
  try {
    await writeFile(target.fsPath, text);
  } catch (e) {
    void vscode.window.showErrorMessage(`One-Shot RLVR: could not write ${target.fsPath}: ${(e as Error).message}`);
    return;
  }
  const open = "Open";
  if ((await vscode.window.showInformationMessage(`Exported ${series.steps.length} steps to ${path.basename(target.fsPath)}.`, open)) === open)
    await vscode.window.showTextDocument(target);
}

export async function deleteRun(monitor: RunMonitor, t: RunTracker): Promise<void> {
  if (t.status === "running") {
    void vscode.window.showWarningMessage(`One-Shot RLVR: stop ${t.id} before deleting it.`);
    return;
  }
  const del = "Delete";
  const pick = await vscode.window.showWarningMessage(
    `Delete run ${t.id}?`,
    { modal: true, detail: `This removes ${t.dir} with its event log and checkpoints. It cannot be undone.` },
    del,
  );
  if (pick !== del) return;
  try {
    await rm(t.dir, { recursive: true, force: true });
  } catch (e) {
    void vscode.window.showErrorMessage(`One-Shot RLVR: could not delete ${t.id}: ${(e as Error).message}`);
  }
  monitor.registry.forget(t.dir);
  monitor.registry.scan();
}

export async function openConfig(t: RunTracker): Promise<void> {
  await vscode.window.showTextDocument(vscode.Uri.file(runFiles(t.dir).config), { preview: true });
}
