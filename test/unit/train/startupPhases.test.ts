// A starting run records what it does (engine start, model load with its files, kernel compile,
// the step-0 evaluation's progress) as `phase` events, until its first step.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import type { PhaseEvent, RunEventInput } from "../../../src/core/run/events";
import { RunController } from "../../../src/core/train/controller";
import { StartupPhases } from "../../../src/core/train/startupPhases";
import { boxedVerifier, config, eventsOf, fakeEngine, project } from "./helpers";

test("progress within a phase is written at most once a second, its first and last value always; nothing after end()", () => {
  let now = 0;
  const out: RunEventInput<PhaseEvent>[] = [];
  const p = new StartupPhases((e) => out.push(e), () => now);
  p.loading("Org/M");
  for (let i = 0; i <= 4; i++) p.engineProgress("load_weights", i, 4);
  p.engineProgress("generate", 16, 96); // not start-up's business
  for (let done = 0; done <= 300; done += 20) {
    now += 150;
    p.phase({ phase: "evaluating", detail: "math500", done, total: 300, unit: "problems" });
  }
  p.engineProgress("compile", 0, 1);
  p.end();
  p.phase({ phase: "training", detail: "step 1" });
  const text = out.map((e) => `${e.phase}${e.detail ? ` ${e.detail}` : ""}${e.total ? ` ${e.done}/${e.total}` : ""}`);
  assert.deepEqual(text, [
    "loading Org/M",
    "loading Org/M 0/4",
    "loading Org/M 4/4",
    "evaluating math500 0/300",
    "evaluating math500 140/300",
    "evaluating math500 280/300",
    "evaluating math500 300/300",
    "compiling",
  ]);
});

test("a run's start-up phases are in its event log, in order, before its first step", async () => {
  process.env.ONESHOT_CACHE_DIR = mkdtempSync(path.join(tmpdir(), "oneshot-cache-")); // no cached step-0 score
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r1");
  const out = await new RunController({ config: config(root, example), runDir, engine: fakeEngine(), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(out.status, "completed");
  const events = eventsOf(runDir);
  const phases = events.filter((e): e is PhaseEvent => e.type === "phase");
  const order = phases.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
  // The evaluation starts (0/4), its first generate compiles, then its progress goes on.
  assert.deepEqual(order, ["starting", "loading", "evaluating", "compiling", "evaluating", "training"]);
  const files = phases.filter((e) => e.phase === "loading" && e.unit === "files").map((e) => `${e.done}/${e.total}`);
  assert.deepEqual(files, ["0/2", "2/2"]);
  assert.equal(phases.find((e) => e.phase === "loading")?.detail, "fake-model");
  const lastEval = phases.filter((e) => e.phase === "evaluating").at(-1)!;
  assert.equal(lastEval.detail, "tiny");
  assert.equal(lastEval.done, lastEval.total);
  assert.deepEqual({ detail: phases.at(-1)!.detail }, { detail: "step 1" });
  const firstStep = events.findIndex((e) => e.type === "step");
  assert.ok(events.findLastIndex((e) => e.type === "phase") < firstStep, "no phase after the first step");
});
