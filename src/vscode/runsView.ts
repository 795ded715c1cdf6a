// The Runs view: every run under the runs roots, newest first, with its status, progress, last
// reward and best evaluation; children for its config, checkpoints and latest benchmark scores.
// Context values (`run.<status>`) decide which actions package.json's menus offer.
import * as path from "node:path";
import * as vscode from "vscode";
import { formatDuration } from "../core/monitor/eta";
import { runLabel, runRowDescription } from "../core/monitor/runRow";
import type { RunTracker } from "../core/monitor/tracker";
import { checkpointDir } from "../core/run/layout";
import type { ObservedRunStatus } from "../core/run/events";
import type { RunMonitor } from "./monitor";
import { COMMANDS } from "./commands";

const ICONS: Record<ObservedRunStatus, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon("sync~spin", new vscode.ThemeColor("charts.blue")),
  completed: new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed")),
  stopped: new vscode.ThemeIcon("debug-stop", new vscode.ThemeColor("descriptionForeground")),
  failed: new vscode.ThemeIcon("error", new vscode.ThemeColor("errorForeground")),
  interrupted: new vscode.ThemeIcon("warning", new vscode.ThemeColor("list.warningForeground")),
};

type Node =
  | { kind: "run"; run: RunTracker }
  | { kind: "config"; run: RunTracker }
  | { kind: "checkpoints"; run: RunTracker }
  | { kind: "checkpoint"; run: RunTracker; step: number; reason: string }
  | { kind: "benchmark"; run: RunTracker; benchmark: string }
  | { kind: "error"; run: RunTracker; message: string };

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

const rowOf = (t: RunTracker) => ({ id: t.id, status: t.status, problem: t.problem, headline: t.model.headline() });

function runTooltip(t: RunTracker): vscode.MarkdownString {
  const h = t.model.headline();
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${t.id}** — ${t.status}\n\n`);
  if (h.example) md.appendMarkdown(`example ${h.example}\n\n`);
  if (t.problem) md.appendMarkdown(`$(warning) ${t.problem}\n\n`);
  md.appendMarkdown(`step ${h.step} of ${h.totalSteps || "?"}`);
  if (h.etaMs !== null && t.status === "running") md.appendMarkdown(` · ETA ${formatDuration(h.etaMs)}`);
  md.appendMarkdown("\n\n");
  if (h.lastReward !== null) md.appendMarkdown(`last reward ${h.lastReward.toFixed(3)}\n\n`);
  for (const b of h.benchmarks)
    md.appendMarkdown(
      `${b.benchmark} (${b.metric}): ${pct(b.last)} at step ${b.lastStep}, best ${pct(b.best)} at ${b.bestStep}` +
        (b.initial !== null ? `, from ${pct(b.initial)}` : "") +
        "\n\n",
    );
  if (h.model) md.appendMarkdown(`${h.model}${h.device ? ` on ${h.device}` : ""}\n\n`);
  if (h.finished?.error) md.appendMarkdown(`$(error) ${h.finished.error}\n\n`);
  if (t.status === "interrupted") md.appendMarkdown("The run's process is gone: resume it from its last checkpoint.\n\n");
  md.appendText(t.dir);
  return md;
}

export class RunsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, Node & { kind: "run" }>();
  private pending = new Set<string>();
  private whole = false;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly unsubscribe: () => void;
  view?: vscode.TreeView<Node>;

  constructor(private readonly monitor: RunMonitor) {
    this.unsubscribe = monitor.registry.onChange((changed, structural) => {
      if (structural) this.whole = true;
      for (const t of changed) this.pending.add(t.dir);
      // Coalesce: a live run appends several times a second.
      this.timer ??= setTimeout(() => this.flush(), 300);
    });
  }

  private flush(): void {
    this.timer = undefined;
    if (this.whole) this.emitter.fire(undefined);
    else for (const dir of this.pending) this.emitter.fire(this.nodes.get(dir));
    this.whole = false;
    this.pending.clear();
    this.updateBadge();
  }

  updateBadge(): void {
    if (!this.view) return;
    const running = this.monitor.registry.list().filter((t) => t.status === "running").length;
    this.view.badge = running ? { value: running, tooltip: `${running} run${running > 1 ? "s" : ""} in progress` } : undefined;
  }

  private runNode(run: RunTracker): Node & { kind: "run" } {
    let n = this.nodes.get(run.dir);
    if (!n || n.run !== run) {
      n = { kind: "run", run };
      this.nodes.set(run.dir, n);
    }
    return n;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.monitor.registry.list().map((t) => this.runNode(t));
    const run = node.run;
    if (node.kind === "run") {
      const h = run.model.headline();
      const out: Node[] = [];
      const err = h.finished?.error;
      if (err) out.push({ kind: "error", run, message: err });
      out.push({ kind: "config", run });
      if (h.checkpoints.length) out.push({ kind: "checkpoints", run });
      for (const b of h.benchmarks) out.push({ kind: "benchmark", run, benchmark: b.benchmark });
      return out;
    }
    if (node.kind === "checkpoints") {
      const seen = new Set<number>();
      return [...run.model.checkpoints]
        .reverse()
        .filter((c) => !seen.has(c.step) && seen.add(c.step))
        .map((c) => ({ kind: "checkpoint", run, step: c.step, reason: c.reason }));
    }
    return [];
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === "run") return undefined;
    if (node.kind === "checkpoint") return { kind: "checkpoints", run: node.run };
    return this.runNode(node.run);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const run = node.run;
    switch (node.kind) {
      case "run": {
        const row = rowOf(run);
        const item = new vscode.TreeItem(runLabel(row), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${run.dir}`;
        item.description = runRowDescription(row);
        item.tooltip = runTooltip(run);
        item.iconPath = run.problem ? ICONS.interrupted : ICONS[run.status];
        item.contextValue = `run.${run.status}`;
        item.command = { command: COMMANDS.openDashboard, title: "Open Dashboard", arguments: [run.dir] };
        item.resourceUri = undefined;
        return item;
      }
      case "config": {
        const item = new vscode.TreeItem("Config", vscode.TreeItemCollapsibleState.None);
        item.id = `config:${run.dir}`;
        const h = run.model.headline();
        item.description = [h.preset, h.model].filter(Boolean).join(" · ");
        item.iconPath = new vscode.ThemeIcon("settings-gear");
        item.command = { command: COMMANDS.openRunConfig, title: "Open Config", arguments: [run.dir] };
        return item;
      }
      case "checkpoints": {
        const item = new vscode.TreeItem("Checkpoints", vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `ckpts:${run.dir}`;
        const last = run.model.checkpoints.at(-1);
        item.description = `${new Set(run.model.checkpoints.map((c) => c.step)).size}${last ? ` · latest step ${last.step}` : ""}`;
        item.iconPath = new vscode.ThemeIcon("save-all");
        return item;
      }
      case "checkpoint": {
        const item = new vscode.TreeItem(`step ${node.step}`, vscode.TreeItemCollapsibleState.None);
        item.id = `ckpt:${run.dir}:${node.step}`;
        item.description = node.reason;
        item.iconPath = new vscode.ThemeIcon("package");
        item.resourceUri = vscode.Uri.file(checkpointDir(run.dir, node.step));
        item.tooltip = path.join("checkpoints", `step-${node.step}`);
        item.contextValue = "checkpoint";
        return item;
      }
      case "benchmark": {
        const b = run.model.headline().benchmarks.find((x) => x.benchmark === node.benchmark);
        const item = new vscode.TreeItem(node.benchmark, vscode.TreeItemCollapsibleState.None);
        item.id = `bench:${run.dir}:${node.benchmark}`;
        item.iconPath = new vscode.ThemeIcon("graph-line");
        if (b) {
          item.description = `${pct(b.last)} @${b.lastStep} · best ${pct(b.best)} @${b.bestStep}`;
          item.tooltip = `${b.benchmark} (${b.metric}, n=${b.n})${b.initial !== null ? `: ${pct(b.initial)} at step 0` : ""}`;
        }
        return item;
      }
      case "error": {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.id = `err:${run.dir}`;
        item.iconPath = new vscode.ThemeIcon("error", new vscode.ThemeColor("errorForeground"));
        item.tooltip = node.message + (run.model.finished?.hint ? `\n${run.model.finished.hint}` : "");
        return item;
      }
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
    this.emitter.dispose();
  }
}
