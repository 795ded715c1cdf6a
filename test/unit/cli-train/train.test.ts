import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { runsCommand } from "../../../src/cli/commands/runs";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { boxedVerifier, eventsOf, project } from "../train/helpers";
import { captureCli, type CapturedCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");
const train = createTrainCommand({ createVerifier: boxedVerifier });

function ctx(cwd: string, env: Record<string, string> = {}): CapturedCli {
  return captureCli({ cwd, env: { ...process.env, NODE: process.execPath, ...env } });
}

const common = (root: string) => ["--preset", "cpu-demo", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", `eval_benchmarks=[${path.join(root, "examples/bench/tiny.jsonl")}]`, "--set", "prompt_copies=2", "--set", "rollouts=2", "--set", "eval_every=2", "--set", "checkpoint_every=2"];

test("a malformed example file is reported with file:line:column and nothing is created", async () => {
  const { root } = project();
  writeFileSync(path.join(root, "bad.rlvr.md"), "---\nanswer: 4\nsteps: many\nverifer: math\n---\nQ\n");
  const c = ctx(root);
  await assert.rejects(train.run(["bad.rlvr.md", "--python", FAKE_PYTHON], c), (e: Error) => {
    assert.match(e.message, /the example file has 2 errors:/);
    assert.match(e.message, /bad\.rlvr\.md:3:8: `steps` must be a whole number \(got "many"\)/);
    assert.match(e.message, /bad\.rlvr\.md:4:1: Unknown key `verifer`: did you mean `verifier`\?/);
    return true;
  });
  assert.equal(existsSync(path.join(root, ".oneshot")), false);
});

test("train runs to completion, prints a summary, and `runs` lists the run", async () => {
  const { root } = project();
  const c = ctx(root);
  const code = await train.run(["two.rlvr.md", "--steps", "2", "--run-dir", "out/r", ...common(root)], c);
  assert.equal(code, 0, c.err());
  assert.match(c.out(), /^Run directory: .*out\/r\n/);
  assert.match(c.out(), /step 2\/2 {2}reward /);
  assert.match(c.out(), /Run completed: 2\/2 steps in \d+s\./);
  assert.match(c.out(), /tiny acc \d+\.\d% → \d+\.\d% \(best/);
  const runDir = path.join(root, "out/r");
  for (const f of ["config.json", "events.jsonl", "summary.json", "checkpoints/step-2/config.json"]) assert.ok(existsSync(path.join(runDir, f)), f);
  const last = eventsOf(runDir).at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "completed");

  // The same directory cannot be trained into twice.
  await assert.rejects(train.run(["two.rlvr.md", "--run-dir", "out/r", ...common(root)], ctx(root)), /already holds a run: continue it with `oneshot train --resume out\/r`/);
  // Nor started again from its config.json (what a --detach child does on a new run).
  await assert.rejects(train.run(["--start", "out/r", "--python", FAKE_PYTHON], ctx(root)), /has already started; continue it with `oneshot train --resume out\/r`/);
  await assert.rejects(train.run(["--start", "out", "--python", FAKE_PYTHON], ctx(root)), /out is not a run directory \(it has no config\.json\)/);
  await assert.rejects(train.run(["--start", "out/r", "two.rlvr.md", "--python", FAKE_PYTHON], ctx(root)), /--start takes the run directory alone/);

  const l = ctx(root);
  assert.equal(await runsCommand.run(["out"], l), 0);
  assert.match(l.out(), /^RUN\s+STATUS\s+STEP\s+REWARD\s+BEST EVAL\n/);
  assert.match(l.out(), /\nr\s+completed\s+2\/2\s+\d\.\d{3}\s+tiny \d+\.\d% @\d\n/);
});

test("a crashed run fails readably and --resume continues it", async () => {
  const { root } = project();
  const c = ctx(root, { FAKE_ENGINE_CRASH_AT_TRAIN: "3" });
  const code = await train.run(["two.rlvr.md", "--steps", "4", "--run-dir", "r", ...common(root)], c);
  assert.equal(code, 1);
  assert.match(c.err(), /^Run failed after 2\/4 steps: The engine process exited with code 1: RuntimeError: shape mismatch in loss\nHint: .*engine\.log/);
  const r = ctx(root);
  assert.equal(await train.run(["--resume", "r", "--python", FAKE_PYTHON], r), 0, r.err());
  assert.match(r.out(), /Resuming at step 2/);
  assert.match(r.out(), /Run completed: 4\/4 steps/);
  await assert.rejects(train.run(["--resume", "r", "--steps", "9"], ctx(root)), /--resume takes the run directory alone/);
  await assert.rejects(train.run(["--resume", "r", "--python", FAKE_PYTHON], ctx(root)), /already completed all its steps/);
});

test("a missing engine environment points at `oneshot setup`", async () => {
  const { root } = project();
  const c = ctx(root, { ONESHOT_PYTHON: "" });
  const cmd = createTrainCommand({ createVerifier: boxedVerifier });
  const installDir = path.join(root, "dist");
  await assert.rejects(cmd.run(["two.rlvr.md"], { ...c, installDir }), /create it with `oneshot setup`/);
});

test("runs lists nothing helpfully", async () => {
  const { root } = project();
  const c = ctx(root);
  assert.equal(await runsCommand.run([], c), 0);
  assert.match(c.out(), /No runs in .*\.oneshot\/runs\. Start one with/);
});
