// Which run endings the editor announces, and what the Resume/Retry choice is.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { writeIntactCheckpoint } from "../../../bench/dashboard/genlog";
import { EndingWatch, type WatchedRun } from "../../../src/core/monitor/endings";
import { recoveryFor } from "../../../src/core/monitor/recovery";
import { RunModel } from "../../../src/core/monitor/reducer";
import type { CheckpointEvent, ObservedRunStatus, RunEvent } from "../../../src/core/run/events";

const T0 = 1_000_000;
const ev = (t: number, e: Record<string, unknown>) => ({ v: 1, t, ...e }) as RunEvent;
const started = (t: number, resumed = false) => ev(t, { type: "run_started", run_id: "r", example: "e.rlvr.md", model: "m", preset: "cpu-demo", total_steps: 40, start_step: 0, resumed, pid: 1 });
const step = (t: number, n: number) => ev(t, { type: "step", step: n, total_steps: 40, reward_mean: 0.5, accuracy: 0.5 });

function run(status: ObservedRunStatus, events: RunEvent[]): WatchedRun & { model: RunModel } {
  const model = new RunModel();
  model.apply(events);
  return { dir: "/runs/r", id: "r", status, model };
}

test("a run seen running and then finished is announced once, with its steps and first benchmark's gain", () => {
  const w = new EndingWatch(T0);
  const events = [started(T0 + 1), step(T0 + 2, 1), ev(T0 + 3, { type: "eval", step: 0, benchmark: "synthetic", metric: "acc", value: 0.375, n: 320 })];
  assert.deepEqual(w.check([run("running", events)]), []);
  const done = [...events, step(T0 + 4, 2), ev(T0 + 5, { type: "eval", step: 2, benchmark: "synthetic", metric: "acc", value: 0.741, n: 320 }), ev(T0 + 6, { type: "run_finished", status: "completed", steps_done: 2 })];
  const [e, ...rest] = w.check([run("completed", done)]);
  assert.deepEqual(rest, []);
  assert.equal(e.severity, "info");
  assert.equal(e.message, "Run r completed 2/40 steps: synthetic 37.5% → 74.1%.");
  assert.deepEqual(w.check([run("completed", done)]), [], "announced once");
});

test("a run that ended before the window watched is not announced; one first seen already failed after it is, with the error and hint", () => {
  const w = new EndingWatch(T0);
  assert.deepEqual(w.check([run("completed", [started(T0 - 10), ev(T0 - 5, { type: "run_finished", status: "completed", steps_done: 0 })])]), []);
  const quick = new EndingWatch(T0);
  const [e] = quick.check([run("failed", [ev(T0 + 5, { type: "run_finished", status: "failed", steps_done: 0, error: "model Org/M is not in the local cache", hint: "Download it first." })])]);
  assert.equal(e.severity, "error");
  assert.equal(e.message, "Run r failed at 0/? steps: model Org/M is not in the local cache");
  assert.equal(e.hint, "Download it first.");
});

test("a resumed run that fails again is a new ending and says so; a stop and a vanished controller are announced too", () => {
  const w = new EndingWatch(T0);
  const first = [started(T0 + 1), step(T0 + 2, 1), ev(T0 + 3, { type: "run_finished", status: "stopped", steps_done: 1 })];
  assert.equal(w.check([run("stopped", first)])[0].message, "Run r stopped at 1/40 steps.");
  const again = [...first, started(T0 + 10, true), ev(T0 + 11, { type: "run_finished", status: "failed", steps_done: 1, error: "boom" })];
  // Failed within one poll: the watch never saw it running.
  assert.equal(w.check([run("failed", again)])[0].message, "Run r failed again after resuming at 0/40 steps: boom", "it started over from step 0");
  const gone = new EndingWatch(T0);
  gone.check([run("running", [started(T0 + 1), step(T0 + 2, 1)])]);
  const [e] = gone.check([run("interrupted", [started(T0 + 1), step(T0 + 2, 1)])]);
  assert.equal(e.severity, "warning");
  assert.match(e.message, /^Run r was interrupted at 1\/40 steps: its controller is gone/);
  assert.deepEqual(new EndingWatch(T0).check([run("interrupted", [started(T0 + 1)])]), [], "interrupted before the window opened");
});

test("Resume is offered only with an intact resumable checkpoint on disk, Retry otherwise; nothing for running or completed runs", () => {
  const cp = (step: number, reason: CheckpointEvent["reason"], resumable?: boolean) => ({ v: 1, t: 0, type: "checkpoint", step, path: `checkpoints/step-${step}`, reason, ...(resumable === undefined ? {} : { resumable }) }) as CheckpointEvent;
  const intact = () => undefined;
  assert.equal(recoveryFor("failed", "/r", [], intact), "retry", "no checkpoint");
  assert.equal(recoveryFor("stopped", "/r", [cp(4, "best", false)], intact), "retry", "a best checkpoint has no optimizer state");
  assert.equal(recoveryFor("interrupted", "/r", [cp(4, "interval", true)], intact), "resume");
  assert.equal(recoveryFor("failed", "/r", [cp(4, "interval", true)], () => "its folder cannot be read"), "retry", "deleted or damaged");
  assert.equal(recoveryFor("running", "/r", [cp(4, "interval", true)], intact), undefined);
  assert.equal(recoveryFor("completed", "/r", [], intact), undefined);

  // With the real damage check: a folder with weights and state resumes, an empty one does not.
  const dir = mkdtempSync(path.join(tmpdir(), "recovery-"));
  const ck = path.join(dir, "checkpoints", "step-4");
  mkdirSync(ck, { recursive: true });
  assert.equal(recoveryFor("failed", dir, [cp(4, "interval", true)]), "retry");
  writeIntactCheckpoint(ck);
  assert.equal(recoveryFor("failed", dir, [cp(4, "interval", true)]), "resume");
});
