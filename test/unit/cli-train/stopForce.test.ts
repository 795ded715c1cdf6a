// `oneshot stop --force` does what its help says: the run stops at once, without a checkpoint
// (issue 23, finding 13), and still ends `stopped` with run_finished.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { stopCommand } from "../../../src/cli/commands/stop";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { isPidAlive, observeRunStatus, readPid } from "../../../src/core/run/runDir";
import { boxedVerifier, eventsOf, project } from "../train/helpers";
import { captureCli, type CapturedCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");

function ctx(cwd: string, env: Record<string, string> = {}): CapturedCli {
  return captureCli({ installDir: path.resolve("test/unit/cli-train/fixtures/bin"), cwd, env: { ...process.env, NODE: process.execPath, ...env } });
}

test("stop --force ends the run at once as stopped, without a checkpoint", { skip: process.platform === "win32" }, async () => {
  const { root } = project();
  const train = createTrainCommand({ createVerifier: boxedVerifier });
  // Quick steps: a graceful stop would save its checkpoint within a few milliseconds.
  const c = ctx(root, { FAKE_ENGINE_DELAY_MS: "20" });
  const args = ["two.rlvr.md", "--detach", "--preset", "cpu-demo", "--steps", "2000", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", "eval_every=0", "--set", "checkpoint_every=0"];
  assert.equal(await train.run(args, c), 0, c.err());
  const runDir = c.out().trim();
  const pid = readPid(runDir)!;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && eventsOf(runDir).filter((e) => e.type === "step").length < 3) await new Promise((r) => setTimeout(r, 50));

  const s = ctx(root);
  assert.equal(await stopCommand.run([runDir, "--force", "--wait", "30"], s), 0);
  assert.match(s.out(), /^Run stopped at step \d+\.\n$/);
  assert.equal(observeRunStatus(runDir), "stopped");
  const events = eventsOf(runDir);
  assert.deepEqual(events.filter((e) => e.type === "checkpoint"), []);
  const last = events.at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "stopped", JSON.stringify(last));
  const ckpts = path.join(runDir, "checkpoints");
  assert.deepEqual(existsSync(ckpts) ? readdirSync(ckpts) : [], []);
  for (let i = 0; i < 50 && isPidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(isPidAlive(pid), false);
});
