// Output errors never end a run (issue 23, finding 3): `oneshot train … | head -3` closes the
// pipe (EPIPE), a dropped terminal fails writes with EIO. The run goes on to `completed` and
// writes run_finished and its status.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { guardOutput } from "../../../src/cli/output";
import { observeRunStatus } from "../../../src/core/run/runDir";
import { eventsOf, project } from "../train/helpers";
import { captureCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");
const MAIN = path.resolve("src/cli/main.ts");

const trainArgs = (root: string, runDir: string, steps: number) => [
  "train", path.join(root, "two.rlvr.md"), "--run-dir", runDir, "--preset", "cpu-demo", "--steps", String(steps), "--python", FAKE_PYTHON,
  "--set", "model=fake", "--set", "eval_every=0", "--set", "checkpoint_every=5", "--set", "prompt_copies=2", "--set", "rollouts=2",
];

function assertFinished(runDir: string, steps: number): void {
  assert.equal(readFileSync(path.join(runDir, "status"), "utf8"), "completed\n");
  assert.equal(observeRunStatus(runDir), "completed");
  const last = eventsOf(runDir).at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "completed" && last.steps_done === steps, JSON.stringify(last));
  assert.equal(existsSync(path.join(runDir, "lock")), false);
}

/** A terminal that went away after `ok` writes: every later write fails with EIO. */
class DroppedTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 80;
  text = "";
  private writes = 0;

  constructor(private readonly ok: number) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (++this.writes <= this.ok) {
      this.text += chunk;
      return done();
    }
    done(Object.assign(new Error("write EIO"), { code: "EIO", errno: -5, syscall: "write" }));
  }
}

test("train | head -3: a real closed pipe (EPIPE) does not end the run", { skip: process.platform === "win32", timeout: 120_000 }, async () => {
  const { root } = project();
  const runDir = path.join(root, "piped");
  const cmd = [process.execPath, "--import", "tsx", MAIN, ...trainArgs(root, runDir, 12)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const shell = spawn("bash", ["-c", `set -o pipefail; ${cmd} | head -3`], { env: { ...process.env, NODE: process.execPath, FAKE_ENGINE_DELAY_MS: "30" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  shell.stdout.on("data", (d) => (out += d));
  shell.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((r) => shell.once("exit", r));
  assert.equal(out.split("\n").filter(Boolean).length, 3, out);
  assert.equal(code, 0, err);
  assert.match(err, /^oneshot: standard output is closed \(EPIPE\); carrying on without it\.\n$/);
  assertFinished(runDir, 12);
});

test("a dropped terminal (EIO on every write) does not end the run", async () => {
  const { root } = project();
  const runDir = path.join(root, "dropped");
  const c = captureCli({ cwd: root, env: { ...process.env, NODE: process.execPath } });
  const terminal = new DroppedTerminal(2);
  const code = await main(trainArgs(root, runDir, 6), { ...c, stdout: terminal });
  assert.equal(code, 0, c.err());
  assert.match(terminal.text, /^Run directory: /);
  assert.equal(c.err(), "oneshot: standard output is closed (EIO); carrying on without it.\n");
  assertFinished(runDir, 6);
});

test("the guarded writer stops writing to a stream after its first error and swallows the rest", async () => {
  const target = new DroppedTerminal(1);
  const lost: string[] = [];
  const out = guardOutput(target, (code) => lost.push(code));
  assert.equal(guardOutput(out), out);
  assert.equal(out.isTTY, true);
  assert.equal(out.columns, 80);
  out.write("one\n");
  out.write("two\n");
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 5; i++) out.write(`more ${i}\n`);
  await new Promise((r) => setImmediate(r));
  assert.equal(target.text, "one\n");
  assert.deepEqual(lost, ["EIO"]);
  assert.equal(out.lost, "EIO");
});
