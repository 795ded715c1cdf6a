// Builds `summary.json` (RunSummary in events.ts) from the run's events, and writes it atomically
// so a reader never sees half a file. The controller refreshes it after every step and eval.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { writingTo } from "./diskFull";
import type { BenchmarkSummary, CheckpointEvent, EvalEvent, ObservedRunStatus, RunEvent, RunSummary, StepEvent } from "./events";

export class SummaryBuilder {
  private steps = 0;
  private reward?: number;
  private accuracy?: number;
  private readonly benchmarks: Record<string, BenchmarkSummary> = {};
  private bestCheckpoint?: string;
  private lastCheckpoint?: string;

  constructor(
    private readonly runId: string,
    private totalSteps: number,
    /** The benchmark whose best score picks the best checkpoint (the first configured one). */
    private readonly primary?: string,
  ) {}

  /** Replays a log, honouring resume: events after a resumed run's start step are dropped. */
  static fromEvents(events: readonly RunEvent[], runId: string, totalSteps: number, primary?: string): SummaryBuilder {
    const b = new SummaryBuilder(runId, totalSteps, primary);
    for (const e of supersede(events)) b.add(e);
    return b;
  }

  add(e: RunEvent): boolean {
    switch (e.type) {
      case "step":
        return this.onStep(e), false;
      case "eval":
        return this.onEval(e);
      case "checkpoint":
        this.onCheckpoint(e);
        return false;
      case "run_started":
        this.totalSteps = e.total_steps;
        this.steps = e.start_step;
        return false;
      default:
        return false;
    }
  }

  onStep(e: StepEvent): void {
    this.steps = e.step;
    this.reward = e.reward_mean;
    this.accuracy = e.accuracy;
  }

  /** Records an evaluation; true when it is a new best of the primary benchmark after step 0. */
  onEval(e: EvalEvent): boolean {
    const b = (this.benchmarks[e.benchmark] ??= { metric: e.metric, n: e.n, initial: null, best: null, best_step: null, final: null, final_step: null });
    b.metric = e.metric;
    b.n = e.n;
    if (e.step === 0) b.initial = e.value;
    const improved = b.best === null || e.value > b.best;
    if (improved) {
      b.best = e.value;
      b.best_step = e.step;
    }
    b.final = e.value;
    b.final_step = e.step;
    return improved && e.step > 0 && (this.primary === undefined || this.primary === e.benchmark);
  }

  onCheckpoint(e: CheckpointEvent): void {
    if (e.reason === "best") this.bestCheckpoint = e.path;
    if (e.resumable !== false) this.lastCheckpoint = e.path;
    const primary = this.primary ? this.benchmarks[this.primary] : undefined;
    if (primary && primary.best_step === e.step) this.bestCheckpoint = e.path;
  }

  /** Forgets a best checkpoint that retention deleted. */
  dropCheckpoint(p: string): void {
    if (this.bestCheckpoint === p) this.bestCheckpoint = undefined;
    if (this.lastCheckpoint === p) this.lastCheckpoint = undefined;
  }

  get stepsDone(): number {
    return this.steps;
  }

  bestStep(benchmark = this.primary): number | null {
    return benchmark ? (this.benchmarks[benchmark]?.best_step ?? null) : null;
  }

  build(status: ObservedRunStatus, error?: { error: string; hint?: string }): RunSummary {
    return {
      status,
      steps: this.steps,
      total_steps: this.totalSteps,
      benchmarks: structuredClone(this.benchmarks),
      ...(error ? { error: error.error, ...(error.hint ? { hint: error.hint } : {}) } : {}),
      run_id: this.runId,
      ...(this.reward !== undefined ? { reward_mean: this.reward, accuracy: this.accuracy } : {}),
      ...(this.bestCheckpoint ? { best_checkpoint: this.bestCheckpoint } : {}),
      ...(this.lastCheckpoint ? { last_checkpoint: this.lastCheckpoint } : {}),
      updated: Date.now(),
    };
  }
}

/** Drops events a later resume superseded (steps after the resumed run's start step). */
export function supersede(events: readonly RunEvent[]): RunEvent[] {
  const out: RunEvent[] = [];
  for (const e of events) {
    if (e.type === "run_started" && e.resumed) {
      for (let i = out.length - 1; i >= 0; i--) {
        const o = out[i];
        if ((o.type === "step" || o.type === "rollouts" || o.type === "eval" || o.type === "checkpoint") && o.step > e.start_step) out.splice(i, 1);
      }
    }
    out.push(e);
  }
  return out;
}

/**
 * summary.json as SummaryBuilder writes it; `problem` (one sentence) when the file exists but is
 * not that (damaged, hand-edited, a directory); undefined when there is none.
 */
export function readSummary(file: string): { summary: RunSummary } | { problem: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    return { problem: `${path.basename(file)} cannot be read (${code === "EISDIR" ? "it is a directory" : (code ?? String(e))})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: `${path.basename(file)} is not valid JSON` };
  }
  const wrong = summaryShapeProblem(value);
  return wrong ? { problem: `${path.basename(file)} is not a run summary: ${wrong}` } : { summary: value as RunSummary };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isScore = (v: unknown) => v === null || (typeof v === "number" && Number.isFinite(v));

/** What is wrong with a parsed summary.json, or undefined when readers can rely on its fields. */
function summaryShapeProblem(v: unknown): string | undefined {
  if (!isObject(v)) return `it holds ${Array.isArray(v) ? "an array" : v === null ? "null" : `a ${typeof v}`}, not an object`;
  if (!isCount(v.steps)) return '"steps" is not a step count';
  if (!isCount(v.total_steps)) return '"total_steps" is not a step count';
  if (!isObject(v.benchmarks)) return '"benchmarks" is not an object';
  for (const [name, b] of Object.entries(v.benchmarks)) {
    if (!isObject(b) || typeof b.metric !== "string") return `benchmark "${name}" is not a benchmark summary`;
    for (const k of ["initial", "best", "best_step", "final", "final_step"] as const) if (b[k] !== undefined && !isScore(b[k])) return `benchmark "${name}" has a bad "${k}"`;
  }
  for (const k of ["reward_mean", "accuracy"] as const) if (v[k] !== undefined && !(typeof v[k] === "number" && Number.isFinite(v[k]))) return `"${k}" is not a number`;
  for (const k of ["error", "hint", "last_checkpoint", "best_checkpoint"] as const) if (v[k] !== undefined && typeof v[k] !== "string") return `"${k}" is not text`;
  return undefined;
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writingTo(file, () => writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n"));
  } catch (e) {
    rmSync(tmp, { force: true }); // a half-written copy would only take more space
    throw e;
  }
  renameSync(tmp, file);
}
