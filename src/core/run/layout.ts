// The layout of a run directory (ARCHITECTURE.md, "The run directory") and the one test of
// whether a directory holds a run.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { TrainConfig } from "../example/config";

/** Where new run directories go, relative to the workspace (or the current directory). */
export const DEFAULT_RUNS_ROOT = path.join(".oneshot", "runs");

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

/**
 * True when `dir` holds (part of) a run: an event log, a status, a lock, or the config.json that
 * `oneshot train` writes first. A model folder's config.json (a checkpoint, a base model) is no run.
 */
export function isRunDir(dir: string): boolean {
  let names: Set<string>;
  try {
    names = new Set(readdirSync(dir));
  } catch {
    return false; // missing, or not a directory
  }
  if (["events.jsonl", "status", "lock"].some((n) => names.has(n))) return true;
  return names.has("config.json") && isRunConfig(readJson(runFiles(dir).config));
}

/** A run's config.json by its shape (version 1, an example and settings), not a model's. */
export function isRunConfig(value: unknown): value is TrainConfig {
  const c = value as { version?: unknown; example?: unknown; settings?: unknown } | null;
  return typeof c === "object" && c !== null && c.version === 1 && typeof c.example === "object" && c.example !== null && typeof c.settings === "object" && c.settings !== null;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}
