import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { runsCommand } from "../../../src/cli/commands/runs";
import { stopCommand } from "../../../src/cli/commands/stop";
import { createTrainCommand, type TrainDeps } from "../../../src/cli/commands/train";
import { observeRunStatus, readPid, isPidAlive } from "../../../src/core/run/status";
import { boxedVerifier, eventsOf, project } from "../train/helpers";
import { captureCli, type CapturedCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");

function ctx(cwd: string, env: Record<string, string> = {}): CapturedCli {
  return captureCli({ installDir: path.resolve("test/unit/cli-train/fixtures/bin"), cwd, env: { ...process.env, NODE: process.execPath, ...env } });
}

test("--detach outlives the command, `runs` shows it running, `stop` checkpoints and stops it, --resume continues", async () => {
  const { root } = project();
  const bench = path.join(root, "examples/bench/tiny.jsonl");
  const train = createTrainCommand({ createVerifier: boxedVerifier });
  const c = ctx(root, { FAKE_ENGINE_DELAY_MS: "150" });
  const args = ["two.rlvr.md", "--detach", "--preset", "cpu-demo", "--steps", "200", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", `eval_benchmarks=[${bench}]`, "--set", "checkpoint_every=0"];
  assert.equal(await train.run(args, c), 0, c.err());
  const runDir = c.out().trim();
  assert.match(runDir, /\.oneshot\/runs\/\d{8}-\d{6}-two$/);
  const pid = readPid(runDir)!;
  assert.notEqual(pid, process.pid);
  assert.equal(observeRunStatus(runDir), "running");

  // Let it make some steps.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !eventsOf(runDir).some((e) => e.type === "step")) await new Promise((r) => setTimeout(r, 100));
  const l = ctx(root);
  await runsCommand.run([], l);
  assert.match(l.out(), /\d{8}-\d{6}-two\s+running\s+\d+\/200/);

  const s = ctx(root);
  assert.equal(await stopCommand.run([runDir, "--wait", "30"], s), 0);
  assert.match(s.out(), /^Run stopped at step \d+; last checkpoint checkpoints\/step-\d+\.\n$/);
  assert.equal(observeRunStatus(runDir), "stopped");
  for (let i = 0; i < 50 && isPidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(isPidAlive(pid), false);
  const stoppedAt = eventsOf(runDir).filter((e) => e.type === "step").length;
  assert.match(readFileSync(path.join(runDir, "controller.log"), "utf8"), /Stopping: finishing the current step/);

  // Resume in the background too, then stop it again at once.
  const r = ctx(root, { FAKE_ENGINE_DELAY_MS: "150" });
  assert.equal(await train.run(["--resume", runDir, "--detach", "--python", FAKE_PYTHON], r), 0, r.err());
  assert.equal(r.out().trim(), runDir);
  while (Date.now() < deadline + 20_000 && eventsOf(runDir).filter((e) => e.type === "step").length <= stoppedAt) await new Promise((res) => setTimeout(res, 100));
  const started = eventsOf(runDir).filter((e) => e.type === "run_started");
  assert.ok(started[1]?.type === "run_started" && started[1].resumed && started[1].start_step === stoppedAt);
  const f = ctx(root);
  assert.equal(await stopCommand.run([runDir, "--force"], f), 0);
  assert.equal(observeRunStatus(runDir), "stopped");
  const s2 = ctx(root);
  assert.equal(await stopCommand.run([runDir], s2), 0);
  assert.equal(s2.out(), "The run is not running (stopped).\n");
});

test("a controller killed with SIGKILL shows as interrupted and can be resumed", async () => {
  const { root } = project();
  const bench = path.join(root, "examples/bench/tiny.jsonl");
  const train = createTrainCommand({ createVerifier: boxedVerifier });
  const c = ctx(root, { FAKE_ENGINE_DELAY_MS: "100" });
  const args = ["two.rlvr.md", "--detach", "--preset", "cpu-demo", "--steps", "6", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", `eval_benchmarks=[${bench}]`, "--set", "checkpoint_every=1", "--set", "eval_every=0"];
  assert.equal(await train.run(args, c), 0, c.err());
  const runDir = c.out().trim();
  const pid = readPid(runDir)!;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !eventsOf(runDir).some((e) => e.type === "checkpoint")) await new Promise((r) => setTimeout(r, 50));
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && isPidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(observeRunStatus(runDir), "interrupted");
  const l = ctx(root);
  await runsCommand.run([], l);
  assert.match(l.out(), /-two\s+interrupted\s+/);

  const r = ctx(root);
  assert.equal(await train.run(["--resume", runDir, "--python", FAKE_PYTHON], r), 0, r.err());
  assert.match(r.out(), /Run completed: 6\/6 steps/);
  const started = eventsOf(runDir).filter((e) => e.type === "run_started");
  assert.ok(started[1]?.type === "run_started" && started[1].resumed && started[1].start_step >= 1);
});

test("an edit of the example saved while --detach starts the run, or right after, does not change what trains", async () => {
  const { root, example } = project();
  const edited = (answer: number) => `---\nanswer: ${answer}\nmax_response_tokens: 7\n---\nWhat is 2+${answer - 2}?\n`;
  // The verifier check runs after the file is resolved and before the background run starts: an
  // editor saving then lands between the two (the window a child that re-read the file would see).
  const savingVerifier: TrainDeps["createVerifier"] = () => {
    writeFileSync(example, edited(5));
    return boxedVerifier();
  };
  const train = createTrainCommand({ createVerifier: savingVerifier });
  const c = ctx(root);
  const args = ["two.rlvr.md", "--detach", "--preset", "cpu-demo", "--steps", "2", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", "eval_every=0"];
  assert.equal(await train.run(args, c), 0, c.err());
  const runDir = c.out().trim();
  writeFileSync(example, edited(6));

  // Generous under load: the child runs from sources through tsx.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && observeRunStatus(runDir) === "running") await new Promise((r) => setTimeout(r, 100));
  assert.equal(observeRunStatus(runDir), "completed", readFileSync(path.join(runDir, "controller.log"), "utf8"));
  const config = JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8"));
  assert.deepEqual([config.example.answer, config.example.problem.trim()], ["4", "What is 2+2?"]);
  assert.notEqual(config.settings.max_response_tokens, 7);
  const rollouts = eventsOf(runDir).filter((e) => e.type === "rollouts");
  assert.equal(rollouts.length, 2);
  for (const r of rollouts) assert.ok(r.type === "rollouts" && r.answer === "4" && r.prompt.includes("2+2") && !r.prompt.includes("2+3"), JSON.stringify(r).slice(0, 300));
});
