import assert from "node:assert/strict";
import { test } from "node:test";
import { firstBenchmarkGain, runLabel, runRowDescription, type RunRowInput } from "../../../src/core/monitor/runRow";
import type { BenchmarkHeadline, RunHeadline } from "../../../src/protocol/messages";

const bench = (o: Partial<BenchmarkHeadline>): BenchmarkHeadline => ({
  benchmark: "math500",
  metric: "acc",
  n: 500,
  initial: 0.36,
  last: 0.726,
  lastStep: 200,
  best: 0.73,
  bestStep: 180,
  ...o,
});

const headline = (o: Partial<RunHeadline> = {}): RunHeadline => ({
  step: 200,
  totalSteps: 200,
  lastReward: 1,
  lastAccuracy: 1,
  etaMs: null,
  benchmarks: [],
  checkpoints: [],
  ...o,
});

const row = (o: Partial<RunRowInput> = {}): RunRowInput => ({
  id: "20261202-035800-equations",
  status: "completed",
  headline: headline(),
  ...o,
});

test("the row's label is the example's name, from run_started or else from the run id", () => {
  assert.equal(runLabel(row({ headline: headline({ example: "/ws/examples/pipe-tank.rlvr.md" }) })), "pipe-tank");
  assert.equal(runLabel(row()), "equations");
  assert.equal(runLabel(row({ id: "my-run" })), "my-run");
});

test("the description leads with status, gain on the first benchmark, step, then the start time", () => {
  const h = headline({ benchmarks: [bench({}), bench({ benchmark: "aime24", initial: 0.1, last: 0.0 })] });
  assert.equal(runRowDescription(row({ headline: h })), "completed · +36.6 pts · step 200/200 · 12-02 03:58");
  assert.equal(firstBenchmarkGain(headline({ benchmarks: [bench({ initial: 0.5, last: 0.25 })] })), "−25.0 pts");
});

test("no gain before a second evaluation or without a step-0 score; unknown totals read '?'", () => {
  assert.equal(firstBenchmarkGain(headline({ benchmarks: [bench({ lastStep: 0, last: 0.36 })] })), undefined);
  assert.equal(firstBenchmarkGain(headline({ benchmarks: [bench({ initial: null })] })), undefined);
  assert.equal(runRowDescription(row({ status: "running", headline: headline({ step: 3, totalSteps: 0 }) })), "running · step 3/? · 12-02 03:58");
  assert.equal(runRowDescription(row({ problem: "events.jsonl is a directory" })), "unreadable: events.jsonl is a directory");
});

test("a starting run's row names its start-up phase instead of step 0/?", () => {
  const h = headline({ step: 0, totalSteps: 0, phase: { phase: "loading", detail: "Qwen/Qwen2.5-Math-1.5B", done: 1, total: 2, unit: "files" } });
  assert.equal(runRowDescription(row({ status: "running", headline: h })), "running · loading Qwen/Qwen2.5-Math-1.5B 1/2 files · 12-02 03:58");
  // Once the run is stopped the phase is history: the row shows the step again.
  assert.equal(runRowDescription(row({ status: "stopped", headline: h })), "stopped · step 0/? · 12-02 03:58");
});
