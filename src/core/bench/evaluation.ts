// One evaluation of a model on a benchmark, as both `oneshot eval` and evaluation during training
// run it: optionally a fixed subset, looked up in the cache first, per-problem results written
// beside the run, and the `eval` event that reports it.
import * as path from "node:path";
import type { EvalEvent, RunEventInput } from "../run/events";
import type { EvalCache } from "./evalCache";
import { writeResults } from "./results";
import { scoreProblems, type ProblemResult, type RunOptions } from "./runner";
import { summarize, type Score } from "./scoring";
import { subsetOf } from "./subset";
import { metricName, type Benchmark } from "./types";

export interface EvaluateOptions extends RunOptions {
  /** Model fingerprint (see modelFingerprint); without it nothing is cached. */
  modelKey?: string;
  cache?: EvalCache;
  /** Where to write `<benchmark>.jsonl` with the per-problem results. */
  resultsDir?: string;
  /** Or the exact results file (a run's `evals/<benchmark>/step-N.jsonl`). */
  resultsFile?: string;
  /** Score this many problems (the same ones every time) instead of the whole set. */
  subset?: number;
}

export interface EvalOutcome extends Score {
  benchmark: string;
  metric: string;
  results: ProblemResult[];
  /** Absolute path of the per-problem results, when written. */
  resultsFile?: string;
  time_s: number;
  cached: boolean;
}

export async function evaluateBenchmark(bench: Benchmark, o: EvaluateOptions): Promise<EvalOutcome> {
  const started = Date.now();
  const problems = o.subset ? subsetOf(bench.problems, o.subset) : bench.problems;
  const metric = metricName(bench.settings);
  const key = o.cache && o.modelKey ? o.cache.key(o.modelKey, bench.name, problems, bench.settings, o) : undefined;
  const hit = key ? o.cache!.get(key) : undefined;
  let results: ProblemResult[];
  if (hit) {
    results = hit.results;
    o.onProgress?.(results.length, results.length);
  } else {
    results = await scoreProblems(problems, bench.settings, o);
  }
  const score = summarize(results);
  if (key && !hit) o.cache!.put(key, { benchmark: bench.name, metric, score, results, model: o.modelKey!, settings: bench.settings });
  const resultsFile = o.resultsFile ?? (o.resultsDir ? path.join(o.resultsDir, `${bench.name}.jsonl`) : undefined);
  if (resultsFile) writeResults(resultsFile, results);
  return { benchmark: bench.name, metric, ...score, results, resultsFile, time_s: (Date.now() - started) / 1000, cached: !!hit };
}

/** The `eval` event for an outcome; `runDir` makes the results path relative to the run. */
export function evalEvent(outcome: EvalOutcome, step: number, runDir?: string): RunEventInput<EvalEvent> {
  const ev: RunEventInput<EvalEvent> = {
    type: "eval",
    step,
    benchmark: outcome.benchmark,
    metric: outcome.metric,
    value: outcome.value,
    n: outcome.n,
    time_s: outcome.time_s,
  };
  if (outcome.breakdown) ev.breakdown = outcome.breakdown;
  if (outcome.resultsFile) ev.results_file = runDir ? path.relative(runDir, outcome.resultsFile).split(path.sep).join("/") : outcome.resultsFile;
  return ev;
}

/** A run's per-problem results for one evaluation: `evals/<benchmark>/step-N.jsonl`. */
export const runResultsFile = (runDir: string, benchmark: string, step: number) => path.join(runDir, "evals", benchmark, `step-${step}.jsonl`);
