// The layout of a run directory (ARCHITECTURE.md, "The run directory") and how any process
// tells a running run from a finished or crashed one: the controller writes its pid to `pid`
// and its state to `status`, and holds `lock` (its pid and start marker) until it ends; a
// `running` status whose controller is gone (the lock's process is dead, or its pid now belongs
// to another program) means the run was interrupted.
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import * as path from "node:path";
import { writingTo } from "./diskFull";
import type { ObservedRunStatus, RunStatus } from "./events";
import { isPidAlive, isSameProcess, parseIdentity } from "./processIdentity";

export { isPidAlive } from "./processIdentity";

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

export function readPid(dir: string): number | undefined {
  return parseIdentity(readText(runFiles(dir).pid))?.pid;
}

/**
 * The pid of the run's controller while that very process runs; undefined when it is gone, even
 * if another program now has its pid. The only pid `oneshot stop` may signal.
 */
export function liveControllerPid(dir: string): number | undefined {
  const holder = parseIdentity(readText(runFiles(dir).lock));
  if (holder) return isSameProcess(holder) ? holder.pid : undefined;
  // No lock: a controller of a version without one; its pid file is all there is.
  const pid = readPid(dir);
  return pid !== undefined && isPidAlive(pid) ? pid : undefined;
}

/**
 * Writes the status file in place: rewriting the bytes of an existing file needs no new block,
 * so a run still records how it ended on a full disk (ext4, tmpfs; not copy-on-write filesystems).
 */
export function writeStatus(dir: string, status: RunStatus): void {
  const file = runFiles(dir).status;
  const text = Buffer.from(`${status}\n`);
  writingTo(file, () => {
    let fd: number;
    try {
      fd = openSync(file, "r+");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      return writeFileSync(file, text);
    }
    try {
      writeSync(fd, text, 0, text.length, 0);
      ftruncateSync(fd, text.length);
    } finally {
      closeSync(fd);
    }
  });
}

function readStatus(dir: string): RunStatus | undefined {
  const raw = readText(runFiles(dir).status) as RunStatus | undefined;
  return raw && STATUSES.includes(raw) ? raw : undefined;
}

/** The run's state as a reader should present it; undefined when `dir` holds no run. */
export function observeRunStatus(dir: string): ObservedRunStatus | undefined {
  const raw = readStatus(dir);
  if (raw !== "running") return raw;
  if (liveControllerPid(dir) !== undefined) return "running";
  // A controller writes its final status before it releases the lock: look once more.
  const again = readStatus(dir);
  return again && again !== "running" ? again : "interrupted";
}
