// The layout of a run directory (ARCHITECTURE.md, "The run directory") and how any process
// tells a running run from a finished or crashed one: the controller writes its pid to `pid`
// and its state to `status`; a `running` status whose pid is gone means the run was interrupted.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ObservedRunStatus, RunStatus } from "./events";

export const runFiles = (dir: string) => ({
  config: path.join(dir, "config.json"),
  events: path.join(dir, "events.jsonl"),
  summary: path.join(dir, "summary.json"),
  pid: path.join(dir, "pid"),
  status: path.join(dir, "status"),
  checkpoints: path.join(dir, "checkpoints"),
  controllerLog: path.join(dir, "controller.log"),
  /** The engine's stderr (Python warnings, tracebacks). */
  engineLog: path.join(dir, "engine.log"),
  /** Exclusive lock of the controller writing the directory (see lock.ts). */
  lock: path.join(dir, "lock"),
  /** Per-problem evaluation results: evals/<benchmark>/step-N.jsonl. */
  evals: path.join(dir, "evals"),
});

export const checkpointDir = (dir: string, step: number) => path.join(dir, "checkpoints", `step-${step}`);

const STATUSES: readonly RunStatus[] = ["running", "completed", "stopped", "failed"];

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readPid(dir: string): number | undefined {
  const n = Number(readText(runFiles(dir).pid));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The run's state as a reader should present it; undefined when `dir` holds no run. */
export function observeRunStatus(dir: string): ObservedRunStatus | undefined {
  const raw = readText(runFiles(dir).status) as RunStatus | undefined;
  if (!raw || !STATUSES.includes(raw)) return undefined;
  if (raw !== "running") return raw;
  const pid = readPid(dir);
  return pid !== undefined && isPidAlive(pid) ? "running" : "interrupted";
}
