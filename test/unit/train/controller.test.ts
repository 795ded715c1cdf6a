import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { outOfMemoryHint } from "../../../src/core/engine/errors";
import { RunController } from "../../../src/core/train/controller";
import type { RunSummary, StepEvent } from "../../../src/core/run/events";
import type { TrainConfig } from "../../../src/core/example/config";
import { observeRunStatus } from "../../../src/core/run/status";
import { boxedVerifier, config, eventsOf, fakeEngine, project, typesOf } from "./helpers";

test("a full run writes config, events, evals, checkpoints, summary and status", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r1");
  const cfg = config(root, example);
  const out = await new RunController({ config: cfg, runDir, engine: fakeEngine(), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.deepEqual(out, { status: "completed", steps_done: 3 });

  assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8")), cfg);
  const events = eventsOf(runDir);
  const types = typesOf(events).filter((t) => t !== "log" && t !== "phase");
  assert.deepEqual(types, [
    "run_started",
    "eval",
    "step",
    "rollouts",
    "step",
    "rollouts",
    "eval",
    "checkpoint",
    "step",
    "rollouts",
    "eval",
    "checkpoint",
    "run_finished",
  ]);
  const steps = events.filter((e): e is StepEvent => e.type === "step");
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3]);
  const s1 = steps[0];
  assert.equal(s1.groups, 2);
  assert.ok(s1.accuracy > 0 && s1.accuracy < 1);
  assert.ok(s1.reflection_rate > 0);
  assert.ok(s1.rollout_tokens_per_s > 0);
  const rollouts = events.find((e) => e.type === "rollouts");
  assert.ok(rollouts?.type === "rollouts" && rollouts.rollouts.length === 4 && rollouts.total === 6);

  const evals = events.filter((e) => e.type === "eval");
  assert.deepEqual(evals.map((e) => e.step), [0, 2, 3]);
  const ev = evals[0];
  assert.ok(ev.type === "eval" && ev.n === 4 && ev.breakdown?.add.n === 3 && ev.breakdown?.mul.n === 1);
  assert.ok(ev.type === "eval" && existsSync(path.join(runDir, ev.results_file!)));

  // keep_checkpoints=1: step-2 is pruned once step-3 (final) exists, unless it is the best.
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as RunSummary;
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 3);
  assert.equal(summary.benchmarks.tiny.n, 4);
  assert.equal(summary.benchmarks.tiny.final_step, 3);
  assert.notEqual(summary.benchmarks.tiny.initial, null);
  assert.equal(summary.last_checkpoint, "checkpoints/step-3");
  const kept = readdirSync(path.join(runDir, "checkpoints")).sort();
  const best = summary.benchmarks.tiny.best_step;
  assert.deepEqual(kept, best === 2 ? ["step-2", "step-3"] : ["step-3"]);
  assert.equal(observeRunStatus(runDir), "completed");
  assert.equal(existsSync(path.join(runDir, "lock")), false);
});

test("resume continues the step count from the last checkpoint with its state", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r2");
  const log = path.join(root, "engine-requests.jsonl");
  const cfg = config(root, example, ["steps=4", "checkpoint_every=2", "keep_checkpoints=2"]);
  const first = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_CRASH_AT_TRAIN: "3" }), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(first.status, "failed");
  assert.equal(first.steps_done, 2);
  assert.equal(first.error, "The engine process exited with code 1: RuntimeError: shape mismatch in loss");
  assert.equal(observeRunStatus(runDir), "failed");

  const second = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_LOG: log }), createVerifier: boxedVerifier, projectRoot: root, resume: true }).run();
  assert.deepEqual(second, { status: "completed", steps_done: 4 });
  const load = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.method === "load");
  assert.equal(load.params.model, path.join(runDir, "checkpoints", "step-2"));
  assert.equal(load.params.resume_state, path.join(runDir, "checkpoints", "step-2"));
  assert.equal(load.params.optimizer.optimizer_state, "fp32"); // the preset's auto, resolved once
  const events = eventsOf(runDir);
  const started = events.filter((e) => e.type === "run_started");
  assert.equal(started.length, 2);
  assert.ok(started[1].type === "run_started" && started[1].resumed && started[1].start_step === 2);
  // load's options (the fake engine reports a CPU's) are recorded as the run's kernels.
  assert.deepEqual(started[1].engine?.options, { compile: false, compile_train: false, fast_decode: false, triton: false, decode_attention: null, memory_limit_gb: null });
  const stepsAfterResume = events.slice(events.indexOf(started[1])).filter((e) => e.type === "step").map((e) => (e as StepEvent).step);
  assert.deepEqual(stepsAfterResume, [3, 4]);
  // No second step-0 evaluation on resume.
  assert.equal(events.filter((e) => e.type === "eval" && e.step === 0).length, 1);
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as RunSummary;
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 4);
  assert.equal(summary.benchmarks.tiny.final_step, 4);
});

test("kill -9 of the engine mid-step ends the run as failed with a readable error and a parseable log", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r3");
  const out = await new RunController({ config: config(root, example), runDir, engine: fakeEngine({ FAKE_ENGINE_KILL_AT_TRAIN: "2" }), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(out.status, "failed");
  assert.equal(out.steps_done, 1);
  assert.equal(out.error, "The engine process was killed by SIGKILL");
  assert.match(out.hint ?? "", /out of memory/);
  const raw = readFileSync(path.join(runDir, "events.jsonl"), "utf8").trim().split("\n");
  assert.ok(raw.every((l) => JSON.parse(l)));
  const last = eventsOf(runDir).at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "failed" && last.error === out.error);
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as RunSummary;
  assert.equal(summary.status, "failed");
  assert.equal(summary.error, out.error);
  assert.match(readFileSync(path.join(runDir, "engine.log"), "utf8"), /about to be killed/);
});

test("an engine OOM error ends the run as failed, keeps its last checkpoint and hints at `oneshot plan` with the example and the setting to lower", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r4");
  const out = await new RunController({ config: config(root, example), runDir, engine: fakeEngine({ FAKE_ENGINE_OOM_AT_TRAIN: "3" }), createVerifier: boxedVerifier, projectRoot: root }).run();
  const exampleArg = example; // outside the working directory: named by its absolute path
  assert.deepEqual(out, { status: "failed", steps_done: 2, error: "CUDA out of memory. Tried to allocate 2.00 GiB", hint: outOfMemoryHint("train_step", exampleArg) });
  assert.match(out.hint ?? "", /lower micro_batch_size/);
  assert.ok(out.hint?.includes(`\`oneshot plan ${exampleArg}\``), out.hint);
  assert.ok(existsSync(path.join(runDir, "checkpoints", "step-2", "engine_state.pt")), "the checkpoint of step 2 is intact");
  const last = eventsOf(runDir).at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "failed" && last.hint === out.hint);
});

test("rollout_wave_size reaches generate as the engine's wave size (auto: all at once), and a step's peak is the larger of generation's and training's", async () => {
  for (const [sets, waves] of [[[], undefined], [["rollout_wave_size=4"], 4]] as const) {
    const { root, example } = project();
    const runDir = path.join(root, "runs", "w");
    const logFile = path.join(root, "engine-calls.jsonl");
    const out = await new RunController({ config: config(root, example, [...sets, "eval_every=0"]), runDir, engine: fakeEngine({ FAKE_ENGINE_LOG: logFile }), createVerifier: boxedVerifier, projectRoot: root }).run();
    assert.equal(out.status, "completed");
    const calls = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { method: string; params: { rollout_wave_size?: number } });
    const generates = calls.filter((c) => c.method === "generate");
    assert.ok(generates.length >= 3);
    assert.ok(generates.every((c) => c.params.rollout_wave_size === waves), JSON.stringify(generates[0]));
    const steps = eventsOf(runDir).filter((e): e is StepEvent => e.type === "step");
    assert.ok(steps.every((s) => s.peak_mem_gb === 1.5 && s.rollout_peak_mem_gb === 1.5));
  }
});

test("rollout_wave_size auto follows the wave of the run's plan (config.json's plan, made by oneshot train)", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "p");
  const logFile = path.join(root, "engine-calls.jsonl");
  const cfg = config(root, example, ["eval_every=0"]);
  cfg.plan = { resolved: { optimizer_state: "fp32", rollout_wave_size: 3, micro_batch_size: 32, checkpoint_layers: 0 }, rollouts: 6, prompt_tokens: 30, max_response_tokens: 96 } as TrainConfig["plan"];
  const out = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_LOG: logFile }), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(out.status, "completed");
  const generates = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { method: string; params: { rollout_wave_size?: number } }).filter((c) => c.method === "generate");
  assert.ok(generates.length >= 3 && generates.every((c) => c.params.rollout_wave_size === 3), JSON.stringify(generates[0]));
});

test("optimizer_state auto loads with the state of the run's plan; without a plan, fp32; a given state wins", async () => {
  const planned = { resolved: { optimizer_state: "compact", rollout_wave_size: 6, micro_batch_size: 32, checkpoint_layers: 0 }, rollouts: 6, prompt_tokens: 30, max_response_tokens: 96 } as TrainConfig["plan"];
  for (const [sets, plan, expected] of [[[], planned, "compact"], [[], undefined, "fp32"], [["optimizer_state=fp32"], planned, "fp32"]] as const) {
    const { root, example } = project();
    const logFile = path.join(root, "engine-calls.jsonl");
    const cfg = config(root, example, [...sets, "eval_every=0", "steps=1"]);
    if (plan) cfg.plan = plan;
    const out = await new RunController({ config: cfg, runDir: path.join(root, "runs", "o"), engine: fakeEngine({ FAKE_ENGINE_LOG: logFile }), createVerifier: boxedVerifier, projectRoot: root }).run();
    assert.equal(out.status, "completed");
    const load = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { method: string; params: { optimizer?: { optimizer_state: string } } }).find((c) => c.method === "load");
    assert.equal(load?.params.optimizer?.optimizer_state, expected, JSON.stringify(sets));
  }
});

test("stop() finishes the step, checkpoints and ends as stopped", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r5");
  const c = new RunController({ config: config(root, example, ["steps=50", "checkpoint_every=0", "eval_every=0"]), runDir, engine: fakeEngine({ FAKE_ENGINE_DELAY_MS: "100" }), createVerifier: boxedVerifier, projectRoot: root });
  const running = c.run();
  await new Promise((r) => setTimeout(r, 1500));
  c.stop();
  const out = await running;
  assert.equal(out.status, "stopped");
  assert.ok(out.steps_done >= 1 && out.steps_done < 50, String(out.steps_done));
  const events = eventsOf(runDir);
  const ck = events.filter((e) => e.type === "checkpoint");
  assert.equal(ck.length, 1);
  assert.ok(ck[0].type === "checkpoint" && ck[0].reason === "stop" && ck[0].step === out.steps_done && ck[0].resumable);
  assert.equal(observeRunStatus(runDir), "stopped");
});

test("a second controller cannot take a directory in use", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r6");
  const c = new RunController({ config: config(root, example, ["steps=50"]), runDir, engine: fakeEngine({ FAKE_ENGINE_DELAY_MS: "100" }), createVerifier: boxedVerifier, projectRoot: root });
  const running = c.run();
  await new Promise((r) => setTimeout(r, 300));
  await assert.rejects(
    new RunController({ config: config(root, example), runDir, engine: fakeEngine(), createVerifier: boxedVerifier, projectRoot: root }).run(),
    /in use by another controller \(pid \d+\)/,
  );
  c.forceStop();
  assert.equal((await running).status, "stopped");
});

test("resuming a run that failed before its first checkpoint starts over from the base model", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r7");
  const cfg = config(root, example, ["checkpoint_every=0", "eval_every=0"]);
  const first = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_CRASH_AT_TRAIN: "2" }), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(first.status, "failed");
  assert.equal(first.steps_done, 1);
  const second = await new RunController({ config: cfg, runDir, engine: fakeEngine(), createVerifier: boxedVerifier, projectRoot: root, resume: true }).run();
  assert.deepEqual(second, { status: "completed", steps_done: 3 });
  const started = eventsOf(runDir).filter((e) => e.type === "run_started");
  assert.ok(started[1].type === "run_started" && started[1].resumed && started[1].start_step === 0);
  assert.ok(eventsOf(runDir).some((e) => e.type === "log" && /Starting over \(no checkpoint to resume from\)/.test(e.message)));
});
