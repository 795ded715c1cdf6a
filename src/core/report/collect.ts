// Gathering what a report shows from a run directory: the resolved config, the event log and
// summary.json. Everything is optional except the event log, so a crashed or running run still
// gets a report of what it did.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { readResults } from "../bench/results";
import { flips, type Flip } from "../bench/scoring";
import { EventLogError, readEvents } from "../run/eventLog";
import type { BenchmarkSummary, EvalEvent, RunEvent, RunFinishedEvent, RunStartedEvent, StepEvent } from "../run/events";
import { readSummary, supersede } from "../run/summary";
import { evalTable, type EvalTableRow } from "../run/evalTable";
import { runFiles } from "../run/layout";
import { observeRunStatus } from "../run/status";

export interface EvalPoint {
  step: number;
  value: number;
  n: number;
  results_file?: string;
}

export interface BenchmarkReport {
  name: string;
  metric: string;
  points: EvalPoint[];
  summary: BenchmarkSummary;
  /** Problems that changed between the first and the last evaluation, when both have results files. */
  flips?: { from: number; to: number; gained: Flip[]; lost: Flip[] };
}

export interface ReportData {
  runId: string;
  runDir: string;
  model: string;
  example: string;
  preset: string;
  status: string;
  stepsDone: number;
  totalSteps: number;
  started?: number;
  finished?: number;
  device?: string;
  error?: string;
  steps: StepEvent[];
  benchmarks: BenchmarkReport[];
  /** First against last evaluation per benchmark and sub-skill (what `oneshot train` prints at the end). */
  table?: { rows: EvalTableRow[]; firstStep: number; lastStep: number };
}

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * Score at the first evaluation, the best (earliest step among equals) and the last. Best is
 * taken among whole-set evaluations only: a lucky subset score is not a better model.
 */
export function summarizePoints(metric: string, points: EvalPoint[]): BenchmarkSummary {
  if (!points.length) return { metric, n: 0, initial: null, best: null, best_step: null, final: null, final_step: null };
  const sorted = [...points].sort((a, b) => a.step - b.step);
  const full = Math.max(...sorted.map((p) => p.n));
  const best = sorted.filter((p) => p.n === full).reduce((b, p) => (p.value > b.value ? p : b));
  const last = sorted[sorted.length - 1]!;
  return {
    metric,
    n: last.n,
    initial: sorted[0]!.step === 0 ? sorted[0]!.value : null,
    best: best.value,
    best_step: best.step,
    final: last.value,
    final_step: last.step,
  };
}

export function collectReport(runDir: string): ReportData {
  const files = runFiles(runDir);
  if (!existsSync(files.events)) throw new ReportError(`${runDir} is not a run directory (it has no events.jsonl)`);
  let logged: RunEvent[];
  try {
    logged = readEvents(files.events).events;
  } catch (e) {
    if (e instanceof EventLogError) throw new ReportError(`cannot report on ${runDir}: ${e.message}`);
    throw e;
  }
  // A resumed run re-logs the steps after its checkpoint: the earlier attempt's are superseded.
  const events = supersede(logged);
  const config = readJson<Record<string, unknown>>(files.config) ?? {};
  const read = readSummary(files.summary);
  const summary = read && "summary" in read ? read.summary : undefined;
  const started = events.find((e): e is RunStartedEvent => e.type === "run_started");
  const lastStart = events.findLastIndex((e) => e.type === "run_started");
  // an earlier attempt's end (stopped, then resumed) is not this run's end
  const finished = events.slice(Math.max(lastStart, 0)).findLast((e): e is RunFinishedEvent => e.type === "run_finished");
  const steps = events.filter((e): e is StepEvent => e.type === "step");
  const evals = events.filter((e): e is EvalEvent => e.type === "eval");

  const byBench = new Map<string, EvalEvent[]>();
  for (const e of evals) byBench.set(e.benchmark, [...(byBench.get(e.benchmark) ?? []), e]);
  const benchmarks: BenchmarkReport[] = [...byBench].map(([name, evs]) => {
    // A resumed run may repeat a step: the later evaluation wins.
    const atStep = new Map<number, EvalPoint>();
    for (const e of evs) atStep.set(e.step, { step: e.step, value: e.value, n: e.n, results_file: e.results_file });
    const points = [...atStep.values()].sort((a, b) => a.step - b.step);
    const metric = evs[evs.length - 1]!.metric;
    // From the events (the record), not summary.json, so subset evaluations cannot be "best".
    const report: BenchmarkReport = { name, metric, points, summary: points.length ? summarizePoints(metric, points) : (summary?.benchmarks?.[name] ?? summarizePoints(metric, points)) };
    const first = points[0];
    const last = points[points.length - 1];
    if (first && last && first !== last && first.results_file && last.results_file) {
      const a = path.resolve(runDir, first.results_file);
      const b = path.resolve(runDir, last.results_file);
      if (existsSync(a) && existsSync(b)) report.flips = { from: first.step, to: last.step, ...flips(readResults(a), readResults(b)) };
    }
    return report;
  });

  const lastStep = steps[steps.length - 1];
  const status = observeRunStatus(runDir) ?? summary?.status ?? (finished ? finished.status : "unknown");
  return {
    runId: started?.run_id ?? path.basename(runDir),
    runDir,
    model: started?.model ?? String(config.model ?? "unknown model"),
    example: started?.example ?? String(config.example ?? ""),
    preset: started?.preset ?? String(config.preset ?? ""),
    status,
    stepsDone: finished ? finished.steps_done : (summary?.steps ?? lastStep?.step ?? 0),
    totalSteps: started?.total_steps ?? summary?.total_steps ?? lastStep?.total_steps ?? 0,
    started: started?.t,
    finished: finished?.t,
    device: started?.engine?.device,
    error: finished ? finished.error : summary?.error,
    steps,
    benchmarks,
    table: evalTable(events),
  };
}
