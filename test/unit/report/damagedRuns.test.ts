// Issue 23, findings 9 and 13: one damaged run directory must not break `oneshot runs` for the
// others, `oneshot report` on an unreadable log is one sentence, and a resumed run's report
// counts each step once.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { collectReport } from "../../../src/core/report/collect";
import { EventLogWriter } from "../../../src/core/run/eventLog";
import { captureCli } from "../cliContext";
import { stepEvent, writeFixtureRun } from "./fixtureRun";

/** A 10-step completed run; `trainConfig` gives it the controller's config.json (so its log can be replayed). */
function run(root: string, name: string, opts: { trainConfig?: boolean; summary?: string | null; eventsDir?: boolean } = {}): string {
  const dir = writeFixtureRun(path.join(root, name), { steps: 10 });
  if (opts.trainConfig) writeFileSync(path.join(dir, "config.json"), JSON.stringify({ version: 1, run_id: name, example: { file: "pi1.rlvr.md" }, settings: { model: "m", steps: 10 } }));
  if (opts.summary === null) rmSync(path.join(dir, "summary.json"));
  else if (opts.summary !== undefined) writeFileSync(path.join(dir, "summary.json"), opts.summary);
  if (opts.eventsDir) {
    rmSync(path.join(dir, "events.jsonl"));
    mkdirSync(path.join(dir, "events.jsonl"));
  }
  return dir;
}

test("oneshot runs lists every run when one has a damaged summary.json or an events.jsonl that is a directory", async () => {
  const root = mkdtempSync(path.join(tmpdir(), "runs-"));
  run(root, "a-good");
  run(root, "b-array", { summary: "[1,2,3]" });
  run(root, "c-null-benchmark", { trainConfig: true, summary: JSON.stringify({ status: "completed", steps: 10, total_steps: 10, benchmarks: { math500: null } }) });
  run(root, "d-truncated", { trainConfig: true, summary: '{"status": "compl' });
  run(root, "e-log-is-a-directory", { trainConfig: true, eventsDir: true });
  run(root, "f-log-is-a-directory-no-summary", { trainConfig: true, eventsDir: true, summary: null });
  const c = captureCli({ cwd: root, env: {} });
  assert.equal(await main(["runs", root, "--json"], c), 0, c.err());
  const rows = JSON.parse(c.out()) as { id: string; status: string; step: number; problem?: string }[];
  assert.deepEqual(
    rows.map((r) => [r.id, r.status, r.step, r.problem]),
    [
      ["a-good", "completed", 10, undefined],
      // nothing to replay without the controller's config.json
      ["b-array", "unreadable", 0, "summary.json is not a run summary: it holds an array, not an object"],
      // the log still tells what the run did
      ["c-null-benchmark", "completed", 10, 'summary.json is not a run summary: benchmark "math500" is not a benchmark summary'],
      ["d-truncated", "completed", 10, "summary.json is not valid JSON"],
      // summary.json still tells what the run did; `oneshot report` could not, so it is flagged
      ["e-log-is-a-directory", "completed", 10, "events.jsonl is a directory, not a file"],
      ["f-log-is-a-directory-no-summary", "unreadable", 0, "events.jsonl is a directory, not a file"],
    ],
  );
  const t = captureCli({ cwd: root, env: {} });
  assert.equal(await main(["runs", root], t), 0, t.err());
  const lines = t.out().trimEnd().split("\n");
  assert.match(lines[1], /^a-good\s+completed\s+10\/10\s/);
  assert.match(lines[2], /^b-array\s+unreadable\s+0\/\?/);
  assert.ok(lines.includes("e-log-is-a-directory: events.jsonl is a directory, not a file"), t.out());
  assert.equal(t.err(), "");
});

test("oneshot report on a run whose events.jsonl is a directory is one sentence and exit 1", async () => {
  const root = mkdtempSync(path.join(tmpdir(), "runs-"));
  const dir = run(root, "r", { eventsDir: true });
  const c = captureCli({ cwd: root, env: {} });
  assert.equal(await main(["report", dir], c), 1);
  assert.equal(c.err(), `oneshot report: cannot report on ${dir}: ${path.join(dir, "events.jsonl")} is a directory, not a file\n`);
});

test("after a resume the report counts each step once: the resumed run's steps supersede the earlier ones", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "resumed-"));
  const log = new EventLogWriter(path.join(dir, "events.jsonl"));
  const started = { type: "run_started" as const, run_id: "r", example: "pi1.rlvr.md", model: "m", preset: "local", total_steps: 6, pid: 1 };
  log.append({ ...started, start_step: 0, resumed: false });
  log.append({ type: "eval", step: 0, benchmark: "math500", metric: "acc", value: 0.3, n: 500, time_s: 1 });
  // the first attempt reaches step 5, checkpoints at 4 and dies
  for (let step = 1; step <= 5; step++) log.append(stepEvent(step, 6, 0.1 * step));
  log.append({ type: "eval", step: 4, benchmark: "math500", metric: "acc", value: 0.4, n: 500, time_s: 1 });
  log.append({ type: "checkpoint", step: 4, path: "checkpoints/step-4", reason: "interval", resumable: true });
  log.append({ type: "eval", step: 5, benchmark: "math500", metric: "acc", value: 0.99, n: 500, time_s: 1 });
  // a stop that ended the first attempt, then the resume from step 4
  log.append({ type: "run_finished", status: "stopped", steps_done: 5 });
  log.append({ ...started, start_step: 4, resumed: true });
  log.append(stepEvent(5, 6, 0.55));
  log.append(stepEvent(6, 6, 0.6));
  log.append({ type: "eval", step: 6, benchmark: "math500", metric: "acc", value: 0.5, n: 500, time_s: 1 });
  log.append({ type: "run_finished", status: "completed", steps_done: 6 });
  log.close();
  const d = collectReport(dir);
  assert.deepEqual(d.steps.map((s) => [s.step, s.reward_mean]), [[1, 0.1], [2, 0.2], [3, 0.1 * 3], [4, 0.4], [5, 0.55], [6, 0.6]]);
  assert.deepEqual(d.benchmarks[0].points.map((p) => [p.step, p.value]), [[0, 0.3], [4, 0.4], [6, 0.5]]);
  assert.equal(d.benchmarks[0].summary.best, 0.5);
  assert.equal(d.stepsDone, 6);
  assert.equal(d.status, "completed");
  const c = captureCli({ cwd: dir, env: {} });
  assert.equal(await main(["report", dir], c), 0, c.err());
  assert.match(c.out(), /\(1 benchmarks, 6 steps\)\n$/);
});
