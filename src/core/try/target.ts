// What `try` runs: a model folder, a checkpoint inside a run, or a run (its best checkpoint, else
// its last). A run brings its base model (to compare with) and the prompt template and stop
// strings its evaluations used; a plain folder uses its chat template, as `oneshot eval` does.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { TrainConfig } from "../example/config";
import type { RunSummary } from "../run/events";
import { runFiles } from "../run/layout";
import { TryError } from "./errors";

export interface TryTarget {
  /** A model folder, or a hub id (the base model of a run, say). */
  model: string;
  /** Short name for output, e.g. "step-30" or "tiny-math". */
  label: string;
  /** The `{system}`/`{problem}` template the run evaluated with; undefined: the chat template. */
  template?: string;
  stop: string[];
  /** The run's base model, when the target is (a checkpoint of) a run. */
  base?: string;
  /** The run's example problem and answer. */
  example?: { problem: string; answer: string };
  runDir?: string;
}

const isModelDir = (d: string) => existsSync(path.join(d, "config.json")) && readdirSync(d).some((f) => f.endsWith(".safetensors"));

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The run's checkpoints/step-N with the highest N that holds a model. */
export function latestCheckpoint(runDir: string): string | undefined {
  const dir = runFiles(runDir).checkpoints;
  if (!existsSync(dir)) return undefined;
  const steps = readdirSync(dir)
    .map((n) => ({ n, step: Number(/^step-(\d+)$/.exec(n)?.[1]) }))
    .filter((c) => Number.isInteger(c.step) && isModelDir(path.join(dir, c.n)))
    .sort((a, b) => b.step - a.step);
  return steps[0] && path.join(dir, steps[0].n);
}

/** The run's best checkpoint (by its first benchmark) when it still exists, else its latest one. */
export function runCheckpoint(runDir: string): string | undefined {
  const best = readJson<RunSummary>(runFiles(runDir).summary)?.best_checkpoint;
  if (best && isModelDir(path.join(runDir, best))) return path.join(runDir, best);
  return latestCheckpoint(runDir);
}

function fromRun(runDir: string, checkpoint: string): TryTarget {
  const config = readJson<TrainConfig>(runFiles(runDir).config);
  const s = config?.settings;
  return {
    model: checkpoint,
    label: `${path.basename(runDir)}/${path.basename(checkpoint)}`,
    ...(s?.prompt_template ? { template: s.prompt_template } : {}),
    stop: s?.stop ?? [],
    ...(s?.model ? { base: s.model } : {}),
    ...(config?.example ? { example: { problem: config.example.problem, answer: config.example.answer } } : {}),
    runDir,
  };
}

export function resolveTarget(ref: string, cwd: string): TryTarget {
  const abs = path.resolve(cwd, ref);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    if (isModelDir(abs)) {
      const parent = path.dirname(abs);
      if (path.basename(parent) === "checkpoints" && existsSync(runFiles(path.dirname(parent)).config)) return fromRun(path.dirname(parent), abs);
      return { model: abs, label: path.basename(abs), stop: [] };
    }
    const ckpt = runCheckpoint(abs);
    if (ckpt) return fromRun(abs, ckpt);
    throw new TryError(`${ref} holds no model (config.json with *.safetensors weights) and no checkpoints/step-N of a run`);
  }
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(ref) && !existsSync(abs)) return { model: ref, label: ref, stop: [] };
  throw new TryError(`model '${ref}' is neither a folder nor a hub id (OWNER/NAME)`);
}

/** The base model to compare a target with, as a target of its own (same prompt and stops). */
export function baseTarget(t: TryTarget, base: string, cwd: string): TryTarget {
  const b = resolveTarget(base, cwd);
  return { ...b, ...(t.template ? { template: t.template } : {}), stop: t.stop };
}
