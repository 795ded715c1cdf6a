// Every run under the runs roots, kept current. The editor side calls `scan` when directories
// appear or vanish and `refresh` when a file changes (or on its poll); listeners hear which runs
// changed. Re-attaching after a window reload is just a new registry scanning again.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { isRunDir } from "../run/layout";
import { RunTracker } from "./tracker";

/** Run directories directly under `root`, by name; a missing root has none. */
export function listRunDirs(root: string): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => path.join(root, e.name))
    .filter(isRunDir)
    .sort();
}

export type ChangeListener = (changed: readonly RunTracker[], structural: boolean) => void;

export class RunRegistry {
  private runs = new Map<string, RunTracker>();
  private listeners = new Set<ChangeListener>();
  private roots: string[] = [];

  onChange(l: ChangeListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  setRoots(roots: readonly string[]): void {
    this.roots = [...roots];
    this.scan();
  }

  /** Newest first (by when the run started). */
  list(): RunTracker[] {
    return [...this.runs.values()].sort((a, b) => b.startedAt() - a.startedAt() || a.id.localeCompare(b.id));
  }

  get(dir: string): RunTracker | undefined {
    return this.runs.get(path.resolve(dir));
  }

  /** A tracker for `dir` even outside the roots (a dashboard opened on any run directory). */
  open(dir: string): RunTracker {
    const key = path.resolve(dir);
    let t = this.runs.get(key);
    if (!t) {
      t = new RunTracker(key);
      t.refresh();
      this.runs.set(key, t);
      this.emit([t], true);
    }
    return t;
  }

  /** Finds new and vanished run directories, then reads what changed in every run. */
  scan(): void {
    const found = new Set(this.roots.flatMap(listRunDirs).map((d) => path.resolve(d)));
    let structural = false;
    for (const [dir] of this.runs)
      if (!found.has(dir) && !isRunDir(dir)) {
        this.runs.delete(dir);
        structural = true;
      }
    const changed: RunTracker[] = [];
    for (const dir of found)
      if (!this.runs.has(dir)) {
        const t = new RunTracker(dir);
        t.refresh();
        this.runs.set(dir, t);
        changed.push(t);
        structural = true;
      }
    for (const t of this.runs.values()) if (!changed.includes(t) && t.refresh()) changed.push(t);
    if (changed.length || structural) this.emit(changed, structural);
  }

  /** Re-reads one run (a watcher saw its files change). */
  refresh(dir: string): void {
    const t = this.runs.get(path.resolve(dir));
    if (t?.refresh()) this.emit([t], false);
  }

  /** The run to show in the status bar: the most recently started one still running. */
  active(): RunTracker | undefined {
    return this.list().find((t) => t.status === "running");
  }

  forget(dir: string): void {
    if (this.runs.delete(path.resolve(dir))) this.emit([], true);
  }

  private emit(changed: readonly RunTracker[], structural: boolean): void {
    for (const l of this.listeners) l(changed, structural);
  }
}
