// Keeps the run registry current for the Runs view, the status bar and the dashboards: the runs
// roots come from `oneshot.runsRoot` in each workspace folder; file watchers make updates prompt,
// and a light poll catches what watchers miss (roots outside the workspace, network file systems)
// and notices a run whose process died. After a window reload this simply scans again.
import * as path from "node:path";
import * as vscode from "vscode";
import { RunRegistry } from "../core/monitor/registry";
import { log } from "./log";
import { settings } from "./settings";

const POLL_MS = 2000;
const DEBOUNCE_MS = 100;

export class RunMonitor implements vscode.Disposable {
  readonly registry = new RunRegistry();
  private watchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly poll: ReturnType<typeof setInterval>;
  private pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    this.reconfigure();
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.reconfigure()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("oneshot.runsRoot")) this.reconfigure();
      }),
    );
    this.poll = setInterval(() => this.safely(() => this.registry.scan()), POLL_MS);
  }

  /** The runs roots: `oneshot.runsRoot` resolved against each workspace folder. */
  roots(): string[] {
    const rel = settings().runsRoot;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (path.isAbsolute(rel)) return [rel];
    return folders.filter((f) => f.uri.scheme === "file").map((f) => path.join(f.uri.fsPath, rel));
  }

  private reconfigure(): void {
    for (const w of this.watchers) w.dispose();
    const roots = this.roots();
    this.watchers = roots.map((root) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), "**/*"));
      const touched = (uri: vscode.Uri) => this.touched(root, uri.fsPath);
      w.onDidChange(touched);
      w.onDidCreate(touched);
      w.onDidDelete(touched);
      return w;
    });
    this.safely(() => this.registry.setRoots(roots));
  }

  /** A file under `root` changed: re-read its run soon (writers append in bursts). */
  private touched(root: string, file: string): void {
    const rel = path.relative(root, file);
    if (rel.startsWith("..")) return;
    const runName = rel.split(path.sep)[0];
    const key = runName ? path.join(root, runName) : root;
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.safely(() => (this.registry.get(key) && key !== root ? this.registry.refresh(key) : this.registry.scan()));
      }, DEBOUNCE_MS),
    );
  }

  private safely(f: () => void): void {
    try {
      f();
    } catch (e) {
      log().warn(`Reading runs failed: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    clearInterval(this.poll);
    for (const t of this.pending.values()) clearTimeout(t);
    for (const d of [...this.watchers, ...this.disposables]) d.dispose();
  }
}
