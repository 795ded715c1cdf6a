// The full loop against the real Python engine on CPU with a tiny random Hugging Face model
// (written by transformers itself): run directory, checkpoints that load, resume, stop, kill -9.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, test } from "node:test";
import { engineLaunch } from "../../../src/core/engine/launch";
import { venvPython } from "../../../src/core/engine/pythonEnv";
import type { RunSummary, StepEvent } from "../../../src/core/run/events";
import { observeRunStatus } from "../../../src/core/run/status";
import { RunController } from "../../../src/core/train/controller";
import type { ProgressSink } from "../../../src/core/train/progress";
import { createVerifier } from "../../../src/core/verifier/index";
import { loadExample } from "../../../src/core/example/index";
import { resolveConfig } from "../../../src/core/example/resolve";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { PassThrough } from "node:stream";
import { eventsOf, typesOf } from "./helpers";

const PY = venvPython(path.resolve(".venv"));
const ENGINE = path.resolve("engine");
const work = mkdtempSync(path.join(tmpdir(), "oneshot-e2e-"));
const modelDir = path.join(work, "tiny-hf");
const bench = path.join(work, "bench.jsonl");
const example = path.join(work, "two.rlvr.md");

before(() => {
  execFileSync(PY, [path.resolve("test/unit/train/fixtures/make_tiny_model.py"), modelDir], { stdio: "ignore" });
  writeFileSync(bench, ['{"problem":"2+2?","answer":"4","skill":"add"}', '{"problem":"3*3?","answer":"9","skill":"mul"}', '{"problem":"1+1?","answer":"2","skill":"add"}'].join("\n") + "\n");
  // The tiny random HF model is given as `model:` in the front matter, relative to the file.
  writeFileSync(example, "---\nanswer: 4\nmodel: tiny-hf\n---\nWhat is 2+2?\n");
});

function settings(extra: string[] = []) {
  const sets = ["max_response_tokens=12", "prompt_copies=2", "rollouts=2", `eval_benchmarks=[${bench}]`, "kl_coef=0.001", "lr=1e-3", ...extra];
  const r = resolveConfig({ example: loadExample(example).example!, runId: "e2e", projectRoot: path.resolve("."), cwd: work, preset: "cpu-demo", sets });
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.settings.model, modelDir);
  return r.config!;
}
const launch = () => engineLaunch(PY, ENGINE, { ...process.env, OMP_NUM_THREADS: "1" });
const quiet = (hooks: Partial<ProgressSink> = {}): ProgressSink => ({ step() {}, eval() {}, checkpoint() {}, phase() {}, log() {}, close() {}, ...hooks });

test("kill -9 of the engine fails readably; resume continues the step count; stop checkpoints; the finished run directory is complete", async () => {
  const runDir = path.join(work, "lifecycle");
  const cfg = settings(["steps=4", "checkpoint_every=1", "eval_every=2", "keep_checkpoints=1"]);
  // kill -9 the engine while it trains step 2.
  let trainings = 0;
  const killer = quiet({
    phase: (t) => {
      if (t === "training" && ++trainings === 2) process.kill(c.enginePid!, "SIGKILL");
    },
  });
  const c: RunController = new RunController({ config: cfg, runDir, engine: launch(), createVerifier, projectRoot: work, progress: killer });
  const crashed = await c.run();
  assert.equal(crashed.status, "failed");
  assert.equal(crashed.steps_done, 1);
  assert.equal(crashed.error, "The engine process was killed by SIGKILL");
  assert.ok(readFileSync(path.join(runDir, "events.jsonl"), "utf8").trim().split("\n").every((l) => JSON.parse(l)));
  assert.equal(observeRunStatus(runDir), "failed");

  // Resume from step 1, stop after the next step.
  const stopper = quiet({ step: () => r.stop() });
  const r: RunController = new RunController({ config: cfg, runDir, engine: launch(), createVerifier, projectRoot: work, resume: true, progress: stopper });
  const stopped = await r.run();
  assert.deepEqual(stopped, { status: "stopped", steps_done: 2 });
  const resumedStart = eventsOf(runDir).filter((e) => e.type === "run_started").at(-1);
  assert.ok(resumedStart?.type === "run_started" && resumedStart.resumed && resumedStart.start_step === 1);

  const done = await new RunController({ config: cfg, runDir, engine: launch(), createVerifier, projectRoot: work, resume: true, progress: quiet() }).run();
  assert.deepEqual(done, { status: "completed", steps_done: 4 });
  const events = eventsOf(runDir);
  const lastStarted = events.filter((e) => e.type === "run_started").at(-1);
  assert.ok(lastStarted?.type === "run_started" && lastStarted.start_step === 2);
  // The run records which kernels produced it: on the CPU the eager decode loop, no compilation.
  const options = lastStarted.engine?.options;
  assert.ok(options, "run_started records the engine's options");
  assert.equal(options.fast_decode, false);
  assert.equal(options.compile, false);
  assert.equal(options.decode_attention, null);
  for (const t of ["run_started", "step", "rollouts", "eval", "checkpoint", "run_finished"]) assert.ok(typesOf(events).includes(t as never), t);
  const steps = events.filter((e): e is StepEvent => e.type === "step");
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4]);
  assert.ok(steps.every((s) => Number.isFinite(s.loss) && s.rollout_tokens_per_s > 0 && s.response_len_mean > 0));
  // Step 2's evaluation was skipped: the stop request came first.
  assert.deepEqual(events.filter((e) => e.type === "eval").map((e) => e.step), [0, 4]);
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as RunSummary;
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 4);
  assert.equal(summary.benchmarks.bench.n, 3);
  assert.equal(summary.benchmarks.bench.final_step, 4);
  const ckpt = path.join(runDir, "checkpoints", "step-4");
  for (const f of ["config.json", "model.safetensors"]) assert.ok(existsSync(path.join(ckpt, f)), f);
  // The final checkpoint loads in transformers unchanged.
  const loaded = execFileSync(PY, ["-c", "import sys; from transformers import AutoModelForCausalLM, AutoTokenizer; m = AutoModelForCausalLM.from_pretrained(sys.argv[1]); AutoTokenizer.from_pretrained(sys.argv[1]); print(m.config.model_type)", ckpt], { encoding: "utf8" });
  assert.equal(loaded.trim(), "qwen2");
});

test("oneshot train on a shipped example with the cpu-demo preset yields a complete run directory", async () => {
  const runDir = path.join(work, "cli");
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => (text += d));
  const ctx = { installDir: path.resolve("src/cli"), stdout: out, stderr: out, cwd: path.resolve("."), env: { ...process.env, OMP_NUM_THREADS: "1" } };
  const args = ["examples/equations.rlvr.md", "--preset", "cpu-demo", "--steps", "3", "--run-dir", runDir, "--set", "eval_subset=16", "--set", "eval_every=2"];
  assert.equal(await createTrainCommand({ createVerifier }).run(args, ctx), 0, text);
  assert.match(text, /Run completed: 3\/3 steps/);
  const events = eventsOf(runDir);
  assert.deepEqual(events.filter((e) => e.type === "step").map((e) => e.step), [1, 2, 3]);
  for (const t of ["run_started", "rollouts", "eval", "checkpoint"]) assert.ok(typesOf(events).includes(t as never), t);
  const last = events.at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "completed");
  for (const f of ["config.json", "summary.json", "checkpoints/step-3/model.safetensors"]) assert.ok(existsSync(path.join(runDir, f)), f);
});
