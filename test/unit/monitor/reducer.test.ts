import assert from "node:assert/strict";
import { test } from "node:test";
import { newCursor, RunModel } from "../../../src/core/monitor/reducer";
import { phaseFraction, phaseText } from "../../../src/protocol/phase";
import { applyDelta, emptySeries } from "../../../src/protocol/series";
import { RunGenerator } from "../../../bench/dashboard/genlog";
import type { RunEvent } from "../../../src/core/run/events";

const noRollouts = (evs: RunEvent[]) => evs.filter((e) => e.type !== "rollouts");

function model(steps: number): { m: RunModel; gen: RunGenerator } {
  const gen = new RunGenerator("r", { steps, totalSteps: 100, rolloutsPerStep: 8, evalEvery: 10, checkpointEvery: 20 });
  const m = new RunModel();
  m.apply(noRollouts(gen.start(4242)));
  for (let i = 0; i < steps; i++) m.apply(noRollouts(gen.nextStep()));
  return { m, gen };
}

test("steps become columns, evals sparse series, and the headline has last reward, best eval and ETA", () => {
  const { m } = model(40);
  assert.equal(m.steps.length, 40);
  assert.equal(m.metrics.reward_mean.length, 40);
  assert.equal(m.evals.get("math500")!.steps.join(), "0,10,20,30,40");
  const h = m.headline();
  assert.equal(h.step, 40);
  assert.equal(h.totalSteps, 100);
  assert.equal(h.lastReward, m.metrics.reward_mean[39]);
  const math = h.benchmarks.find((b) => b.benchmark === "math500")!;
  assert.equal(math.initial, 0.36);
  assert.equal(math.best, Math.max(...m.evals.get("math500")!.values));
  assert.equal(h.checkpoints.map((c) => c.step).join(), "20,40");
  // 12 s per generated step, 60 steps left.
  assert.equal(h.etaMs, 60 * 12_000);
});

test("a finished run has no ETA and reports how it finished", () => {
  const { m, gen } = model(5);
  m.apply([gen.finish("failed")]);
  const h = m.headline();
  assert.equal(h.etaMs, null);
  assert.equal(h.finished?.status, "failed");
  assert.match(h.finished?.error ?? "", /memory/);
});

test("a cursor sees only appended points; two consumers advance independently", () => {
  const { m, gen } = model(10);
  const a = newCursor();
  const b = newCursor();
  const first = m.deltaSince(a);
  assert.equal(first.reset, true);
  assert.equal(first.steps.length, 10);
  assert.equal(first.evals.find((e) => e.benchmark === "math500")!.steps.join(), "0,10");
  for (let i = 0; i < 10; i++) m.apply(noRollouts(gen.nextStep()));
  const second = m.deltaSince(a);
  assert.equal(second.reset, false);
  assert.deepEqual(second.steps, [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  assert.equal(second.evals.find((e) => e.benchmark === "math500")!.steps.join(), "20");
  assert.equal(m.deltaSince(a).steps.length, 0);
  const whole = applyDelta(applyDelta(emptySeries(), first), second);
  assert.deepEqual(whole, applyDelta(emptySeries(), m.deltaSince(b)));
});

test("a resumed run rewinds to its start step: later steps, evals, checkpoints and rollouts are dropped", () => {
  const { m, gen } = model(45);
  m.addRolloutLines([{ step: 44, offset: 0, length: 1 }, { step: 30, offset: 1, length: 1 }]);
  const c = newCursor();
  m.deltaSince(c);
  const started = gen.start(1)[0] as Extract<RunEvent, { type: "run_started" }>;
  m.apply([{ ...started, resumed: true, start_step: 40 }]);
  assert.equal(m.lastStep, 40);
  assert.equal(m.evals.get("math500")!.steps.at(-1), 40);
  assert.deepEqual(m.checkpoints.map((x) => x.step), [20, 40]);
  assert.deepEqual(m.rolloutSteps(), [30]);
  const d = m.deltaSince(c);
  assert.equal(d.reset, true);
  assert.equal(d.steps.length, 40);
});

test("a step number going backwards without a run_started rewinds too; missing metrics are null", () => {
  const m = new RunModel();
  const step = (n: number, extra: object = {}) =>
    ({ v: 1, t: n, type: "step", step: n, total_steps: 9, reward_mean: n / 10, ...extra }) as unknown as RunEvent;
  m.apply([step(1), step(2), step(3), step(2, { entropy: 0.5 })]);
  assert.deepEqual(m.steps, [1, 2]);
  assert.deepEqual(m.metrics.entropy, [null, 0.5]);
});

test("the headline carries the latest warning for the dashboard to show", () => {
  const { m } = model(3);
  assert.equal(m.headline().lastWarning, undefined);
  const warn = (message: string): RunEvent => ({ v: 1, t: Date.now(), type: "log", level: "warn", message, source: "controller" });
  m.apply([warn("Step 2: every reward was 0 and all 8 rollouts failed with the same verifier error (boom)"), { v: 1, t: Date.now(), type: "log", level: "info", message: "later" }]);
  assert.match(m.headline().lastWarning?.message ?? "", /^Step 2: every reward was 0/);
});

test("start-up phases: the latest one is the headline's phase until the first step; a phase after the end is a new start", () => {
  const ev = (t: number, e: Record<string, unknown>) => ({ v: 1, t, ...e }) as RunEvent;
  const m = new RunModel();
  m.apply([ev(1, { type: "phase", phase: "starting" }), ev(2, { type: "phase", phase: "loading", detail: "Org/M", done: 1, total: 2, unit: "files" })]);
  assert.deepEqual(m.headline().phase, { phase: "loading", detail: "Org/M", done: 1, total: 2, unit: "files" });
  assert.equal(phaseText(m.headline().phase!), "loading Org/M 1/2 files");
  m.apply([
    ev(3, { type: "run_started", run_id: "r", example: "e", model: "Org/M", preset: "local", total_steps: 10, start_step: 0, resumed: false, pid: 1 }),
    ev(4, { type: "phase", phase: "evaluating", detail: "math500", done: 160, total: 500, unit: "problems" }),
  ]);
  assert.equal(phaseText(m.headline().phase!), "evaluating math500 160/500");
  assert.equal(phaseFraction(m.headline().phase!), 0.32);
  m.apply([ev(5, { type: "phase", phase: "training", detail: "step 1" })]);
  assert.equal(phaseText(m.headline().phase!), "training step 1");
  m.apply([ev(6, { type: "step", step: 1, total_steps: 10, reward_mean: 1 })]);
  assert.equal(m.headline().phase, undefined, "the first step ends start-up");
  m.apply([ev(7, { type: "run_finished", status: "stopped", steps_done: 1 })]);
  assert.equal(m.headline().finished?.status, "stopped");
  // Resumed: its start-up phases come before its run_started, and mean it runs again.
  m.apply([ev(8, { type: "phase", phase: "starting" })]);
  assert.equal(m.headline().finished, undefined);
  assert.equal(phaseText(m.headline().phase!), "starting the engine");
  assert.equal(phaseText({ phase: "compiling" }), "compiling kernels");
});
