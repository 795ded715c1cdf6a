// Run ids and fresh run directories: <runs root>/<YYYYMMDD-HHMMSS>-<example stem>, local time,
// with -2, -3, … appended when two runs of the same example start within the same second.
import { mkdirSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, makeDirs, RunDirError } from "./newRunDir";

export const DEFAULT_RUNS_ROOT = path.join(".oneshot", "runs");

export function exampleStem(file: string): string {
  const base = path.basename(file).replace(/\.rlvr\.md$/i, "").replace(/\.md$/i, "");
  return base.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "example";
}

export function newRunId(exampleFile: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${exampleStem(exampleFile)}`;
}

/** Creates a new, empty run directory under `root` and returns it. */
export function createRunDir(root: string, runId: string): string {
  makeDirs(root);
  for (let i = 1; ; i++) {
    const dir = path.join(root, i === 1 ? runId : `${runId}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") throw new RunDirError(`cannot create ${dir}: ${describe(code, e as Error)}`);
    }
  }
}

/** True when `dir` already holds (part of) a run: a config, an event log or a lock. */
export function holdsRun(dir: string): boolean {
  let names: Set<string>;
  try {
    names = new Set(readdirSync(dir));
  } catch {
    return false; // missing, or not a directory
  }
  return ["config.json", "events.jsonl", "lock"].some((n) => names.has(n));
}
