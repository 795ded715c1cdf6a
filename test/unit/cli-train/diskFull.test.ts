// A full disk ends the run `failed` with "The disk is full (PATH)" and a hint, writes what it still
// can (the status at least), releases the lock, and prints no stack trace (issue 23, finding 4).
// For real: a small tmpfs (needs root; skipped otherwise). Injected: /dev/full, whose every write
// fails with ENOSPC, in place of one file of the run, and the engine's own failed writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { DISK_FULL_HINT } from "../../../src/core/run/diskFull";
import { observeRunStatus } from "../../../src/core/run/runDir";
import { RunController } from "../../../src/core/train/controller";
import { boxedVerifier, config, eventsOf, fakeEngine, project } from "../train/helpers";
import { captureCli, type CapturedCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");
const train = createTrainCommand({ createVerifier: boxedVerifier });
const hasDevFull = existsSync("/dev/full");

function ctx(cwd: string, env: Record<string, string> = {}): CapturedCli {
  return captureCli({ cwd, env: { ...process.env, NODE: process.execPath, ...env } });
}

const args = (runDir: string, steps: number, sets: string[] = []) => [
  "two.rlvr.md", "--run-dir", runDir, "--preset", "cpu-demo", "--steps", String(steps), "--python", FAKE_PYTHON,
  "--set", "model=fake", "--set", "eval_every=0", "--set", "prompt_copies=2", "--set", "rollouts=2", ...sets.flatMap((s) => ["--set", s]),
];

/** The ending every disk-full run must have; returns the path the sentence names. */
function assertDiskFull(c: CapturedCli, code: number, runDir: string): string {
  assert.equal(code, 1, c.err());
  const m = /^Run failed after \d+\/\d+ steps: The disk is full \((.+)\)\nHint: Free some space on that disk .*`oneshot train --resume RUN_DIR`\.\nRun directory: .+\n$/.exec(c.err());
  assert.ok(m, c.err());
  assert.doesNotMatch(c.err() + c.out(), /\n\s+at |ENOSPC|Internal error/);
  assert.equal(readFileSync(path.join(runDir, "status"), "utf8"), "failed\n");
  assert.equal(observeRunStatus(runDir), "failed");
  assert.equal(existsSync(path.join(runDir, "lock")), false);
  // run_finished is best effort: when the log could take it, it says the same.
  const last = eventsOf(runDir).at(-1);
  if (last?.type === "run_finished") assert.equal(last.error, `The disk is full (${m[1]})`);
  return m[1];
}

/** Mounts a tmpfs of `size` at a new folder; undefined where mounting is not permitted. */
function smallDisk(size: string): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-tmpfs-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return r.status === 0 ? dir : undefined;
}

function unmount(dir: string): void {
  spawnSync("umount", ["-l", dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Fills the disk holding `dir`, then frees `leave` bytes. */
function fill(dir: string, leave: number): void {
  const fd = openSync(path.join(dir, "filler"), "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, "ENOSPC");
  }
  ftruncateSync(fd, Math.max(0, size - leave));
  closeSync(fd);
}

const disk = smallDisk("4m");
after(() => disk && unmount(disk));

test("training that fills a real disk (tmpfs) ends failed with the status written, and resumes once there is space", { skip: !disk && "mounting a tmpfs is not permitted here" }, async () => {
  const { root } = project();
  const runDir = path.join(disk!, "fill");
  mkdirSync(runDir);
  fill(disk!, 48 * 1024);
  const c = ctx(root);
  const code = await train.run(args(runDir, 40, ["checkpoint_every=5", "log_rollouts=4"]), c);
  assertDiskFull(c, code, runDir);
  rmSync(path.join(disk!, "filler"));
  const r = ctx(root);
  assert.equal(await train.run(["--resume", runDir, "--python", FAKE_PYTHON], r), 0, r.err());
  assert.match(r.out(), /Run completed: 40\/40 steps/);
});

test("on a real full disk (tmpfs) a checkpoint that does not fit ends the run failed and leaves no half checkpoint", { skip: !disk && "mounting a tmpfs is not permitted here" }, async () => {
  const { root } = project();
  const runDir = path.join(disk!, "checkpoint-fill");
  const c = ctx(root, { FAKE_ENGINE_SAVE_BYTES: String(600 * 1024) });
  const code = await train.run(args(runDir, 60, ["checkpoint_every=2", "keep_checkpoints=4"]), c);
  const where = assertDiskFull(c, code, runDir);
  assert.match(where, /checkpoints\/step-\d+$/);
  // Only recorded (whole) checkpoints remain.
  const recorded = eventsOf(runDir).flatMap((e) => (e.type === "checkpoint" ? [path.basename(e.path)] : []));
  for (const d of readdirSync(path.join(runDir, "checkpoints"))) assert.ok(recorded.includes(d), `${d} is a half-written checkpoint`);
  assert.ok(!existsSync(where));
});

test("an event log on a full disk (/dev/full) ends the run failed and names the log", { skip: !hasDevFull }, async () => {
  // The CLI refuses a directory that already has an event log, so the controller is run directly.
  const { root, example } = project();
  const runDir = path.join(root, "r");
  mkdirSync(runDir);
  const log = path.join(runDir, "events.jsonl");
  symlinkSync("/dev/full", log);
  const outcome = await new RunController({ config: config(root, example), runDir, engine: fakeEngine(), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.deepEqual(outcome, { status: "failed", steps_done: 0, error: `The disk is full (${log})`, hint: DISK_FULL_HINT });
  assert.equal(readFileSync(path.join(runDir, "status"), "utf8"), "failed\n");
  assert.equal(existsSync(path.join(runDir, "lock")), false);
  assert.equal(JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")).error, `The disk is full (${log})`);
});

/**
 * Trains with engine.log on /dev/full and a checkpoint every 2 steps; checks the ending and where
 * it names. The CLI refuses a directory that already holds a file, so the controller runs directly.
 */
async function trainWithFullEngineLog(env: Record<string, string>, steps: number, named: (where: string, runDir: string) => void): Promise<string> {
  const { root, example } = project();
  const runDir = path.join(root, "r");
  mkdirSync(runDir);
  symlinkSync("/dev/full", path.join(runDir, "engine.log"));
  const cfg = config(root, example, [`steps=${steps}`, "checkpoint_every=2", "keep_checkpoints=4", "eval_every=0"]);
  const outcome = await new RunController({ config: cfg, runDir, engine: fakeEngine(env), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(outcome.status, "failed");
  assert.equal(outcome.hint, DISK_FULL_HINT);
  const m = /^The disk is full \((.+)\)$/.exec(outcome.error ?? "");
  assert.ok(m, outcome.error);
  assert.equal(readFileSync(path.join(runDir, "status"), "utf8"), "failed\n");
  assert.equal(existsSync(path.join(runDir, "lock")), false);
  named(m[1], runDir);
  return runDir;
}

test("the engine's stderr on a full disk while a checkpoint fails to save (the engine says errno 28)", { skip: !hasDevFull }, async () => {
  const runDir = await trainWithFullEngineLog({ FAKE_ENGINE_ENOSPC_AT_SAVE: "2" }, 8, (where, dir) => assert.equal(where, path.join(dir, "checkpoints", "step-4")));
  assert.deepEqual(readdirSync(path.join(runDir, "checkpoints")), ["step-2"]);
  assert.equal(eventsOf(runDir).filter((e) => e.type === "step").length, 4);
});

test("a vague engine write failure after the engine's log hit a full disk is reported as the full disk", { skip: !hasDevFull }, async () => {
  await trainWithFullEngineLog({ FAKE_ENGINE_VAGUE_AT_SAVE: "1" }, 4, (where, dir) => assert.equal(where, path.join(dir, "engine.log")));
});
