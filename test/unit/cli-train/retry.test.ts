// `oneshot train --retry RUN_DIR`: a new run with an earlier run's config.json (the editor's Retry).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { boxedVerifier, project } from "../train/helpers";
import { captureCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");
const train = createTrainCommand({ createVerifier: boxedVerifier });
const quick = ["--preset", "cpu-demo", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", "prompt_copies=2", "--set", "rollouts=2", "--set", "eval_every=0", "--set", "checkpoint_every=0", "--steps", "2"];
const ctx = (cwd: string) => captureCli({ cwd, env: { ...process.env, NODE: process.execPath } });
const configOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8")) as { run_id: string; settings: Record<string, unknown> };

test("--retry trains the same config.json in a new run directory beside the old one; the example's later edits do not count", async () => {
  const { root, example } = project();
  const runs = path.join(root, "runs");
  assert.equal(await train.run(["two.rlvr.md", ...quick, "--run-dir", "runs/first", "--set", "lr=3e-5"], ctx(root)), 0);
  writeFileSync(example, "---\nanswer: 5\nlr: 1\n---\nWhat is 2+3?\n");
  const c = ctx(root);
  assert.equal(await train.run(["--retry", "runs/first", "--python", FAKE_PYTHON], c), 0, c.err());
  const second = readdirSync(runs).filter((d) => d !== "first");
  assert.equal(second.length, 1);
  const [a, b] = [configOf(path.join(runs, "first")), configOf(path.join(runs, second[0]))];
  assert.equal(b.run_id, second[0]);
  assert.deepEqual({ ...b, run_id: "" }, { ...a, run_id: "" });
  assert.equal(b.settings.lr, 3e-5);
  assert.match(c.out(), /Run completed: 2\/2 steps/);
});

test("--retry runs the pre-flight again and takes the run directory alone", async () => {
  const { root } = project();
  assert.equal(await train.run(["two.rlvr.md", ...quick, "--run-dir", "runs/first"], ctx(root)), 0);
  const file = path.join(root, "runs", "first", "config.json");
  const config = configOf(path.join(root, "runs", "first"));
  config.settings.model = path.join(root, "gone-model");
  writeFileSync(file, JSON.stringify(config));
  await assert.rejects(train.run(["--retry", "runs/first", "--python", FAKE_PYTHON], ctx(root)), /model: the folder .*gone-model does not exist/);
  assert.deepEqual(readdirSync(path.join(root, "runs")), ["first"], "a refused retry creates no run directory");
  await assert.rejects(train.run(["--retry", "runs/first", "--set", "lr=1"], ctx(root)), /--retry takes the run directory alone/);
  await assert.rejects(train.run(["--retry", "runs/first", "--resume", "runs/first"], ctx(root)), /give one of --resume, --start and --retry/);
});
