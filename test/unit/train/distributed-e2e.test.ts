// `oneshot train --devices 2` against the real engine on CPU: two engine processes on gloo under
// torchrun, end to end through the CLI (the cpu-demo preset and its built-in model, and a Hugging
// Face model folder given with --set model=DIR), and kill -9 of rank 1 in the middle of a run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, test } from "node:test";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { venvPython } from "../../../src/core/engine/pythonEnv";
import type { TrainConfig } from "../../../src/core/example/config";
import { observeRunStatus } from "../../../src/core/run/status";
import { createVerifier } from "../../../src/core/verifier/index";
import { captureCli } from "../cliContext";
import { processesTagged } from "../engine/torchrunHelpers";
import { eventsOf } from "./helpers";

const PY = venvPython(path.resolve(".venv"));
const skip = process.platform !== "linux" || !existsSync(PY);
const work = mkdtempSync(path.join(tmpdir(), "oneshot-dist-"));
const modelDir = path.join(work, "tiny-hf");
const bench = path.join(work, "bench.jsonl");
const example = path.resolve("examples/arithmetic.rlvr.md");
const train = createTrainCommand({ createVerifier });

before(() => {
  if (skip) return;
  execFileSync(PY, [path.resolve("test/unit/train/fixtures/make_tiny_model.py"), modelDir], { stdio: "ignore" });
  writeFileSync(bench, ['{"problem":"2+2?","answer":"4"}', '{"problem":"3*3?","answer":"9"}', '{"problem":"1+1?","answer":"2"}'].join("\n") + "\n");
});

/** A CLI context whose engine processes carry TAG (to find them by), with the project's venv. */
function cli(tag: string) {
  return captureCli({ installDir: path.resolve("dist"), cwd: work, env: { ...process.env, ONESHOT_PYTHON: PY, OMP_NUM_THREADS: "1", ONESHOT_TEST_TAG: tag } });
}
const small = ["--preset", "cpu-demo", "--devices", "2", "--set", `eval_benchmarks=[${bench}]`, "--set", "prompt_copies=2", "--set", "rollouts=4"];

test("cpu-demo with --devices 2: two gloo processes train, evaluate and checkpoint, world size 2 recorded, none left", { skip }, async () => {
  const tag = randomUUID();
  const c = cli(tag);
  const code = await train.run([example, ...small, "--steps", "2", "--set", "eval_every=2", "--run-dir", "demo"], c);
  assert.equal(code, 0, c.err());
  assert.match(c.out(), /Training arithmetic\.rlvr\.md: .*tiny-math on cpu × 2 processes/);
  assert.match(c.out(), /Run completed: 2\/2 steps/);
  const runDir = path.join(work, "demo");
  const events = eventsOf(runDir);
  const started = events.find((e) => e.type === "run_started");
  assert.ok(started?.type === "run_started" && started.world_size === 2);
  assert.equal((JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8")) as TrainConfig).world_size, 2);
  assert.deepEqual(events.filter((e) => e.type === "eval").map((e) => e.type === "eval" && e.step), [0, 2]);
  assert.ok(existsSync(path.join(runDir, "checkpoints/step-2/model.safetensors")));
  assert.deepEqual(processesTagged("ONESHOT_TEST_TAG", tag), []);
});

test("--devices 2 with --set model=DIR: a Hugging Face folder trains on two processes", { skip }, async () => {
  const tag = randomUUID();
  const c = cli(tag);
  const code = await train.run([example, ...small, "--steps", "2", "--set", "eval_every=0", "--set", `model=${modelDir}`, "--set", "max_response_tokens=12", "--run-dir", "hf"], c);
  assert.equal(code, 0, c.err());
  assert.match(c.out(), new RegExp(`Training arithmetic\\.rlvr\\.md: ${modelDir} on cpu × 2 processes`));
  assert.ok(existsSync(path.join(work, "hf/checkpoints/step-2/model.safetensors")));
  assert.deepEqual(processesTagged("ONESHOT_TEST_TAG", tag), []);
});

test("kill -9 of rank 1 mid-run: the run ends failed within seconds naming rank 1, no engine process left, the last checkpoint intact", { skip }, async () => {
  const tag = randomUUID();
  const c = cli(tag);
  const runDir = path.join(work, "killed");
  const running = train.run([example, ...small, "--steps", "500", "--set", "eval_every=0", "--set", "checkpoint_every=1", "--run-dir", "killed"], c);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && !eventsOf(runDir).some((e) => e.type === "checkpoint")) await new Promise((r) => setTimeout(r, 100));
  const rank1 = processesTagged("ONESHOT_TEST_TAG", tag).find((p) => p.rank === 1);
  assert.ok(rank1, "rank 1 is running");
  const killedAt = Date.now();
  process.kill(rank1.pid, "SIGKILL");
  assert.equal(await running, 1);
  const took = Date.now() - killedAt;
  assert.ok(took < 15_000, `the run took ${took} ms to end`);
  // The engine answers "rank 1 stopped" first; torchrun's summary says how it ended, which wins.
  assert.match(c.err(), /^Run failed after \d+\/500 steps: Engine rank 1 \(local rank 1 on \S+\) was killed by SIGKILL\n/m);
  const last = eventsOf(runDir).at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "failed" && /^Engine rank 1 /.test(last.error ?? ""), JSON.stringify(last));
  assert.equal(observeRunStatus(runDir), "failed");
  const checkpoint = eventsOf(runDir).filter((e) => e.type === "checkpoint").at(-1);
  assert.ok(checkpoint?.type === "checkpoint" && existsSync(path.join(runDir, checkpoint.path, "model.safetensors")) && existsSync(path.join(runDir, checkpoint.path, "engine_state_sharded")));
  for (let i = 0; i < 40 && processesTagged("ONESHOT_TEST_TAG", tag).length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(processesTagged("ONESHOT_TEST_TAG", tag), []);
  // The run resumes from that checkpoint on two processes again.
  const r = cli(tag);
  const resumed = train.run(["--resume", runDir, "--devices", "2"], r);
  while (Date.now() < deadline + 60_000 && eventsOf(runDir).filter((e) => e.type === "run_started").length < 2) await new Promise((res) => setTimeout(res, 100));
  await new Promise((res) => setTimeout(res, 200));
  process.kill(process.pid, "SIGINT"); // a Ctrl-C: the resumed run checkpoints and stops
  assert.equal(await resumed, 0, r.err());
  const again = eventsOf(runDir).filter((e) => e.type === "run_started").at(-1);
  assert.ok(again?.type === "run_started" && again.resumed && again.start_step === checkpoint.step && again.world_size === 2, JSON.stringify(again));
  assert.deepEqual(processesTagged("ONESHOT_TEST_TAG", tag), [], "a stop ends every rank");
});
