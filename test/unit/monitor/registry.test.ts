import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { listRunDirs, RunRegistry } from "../../../src/core/monitor/registry";
import { appendSteps, writeRun } from "../../../bench/dashboard/genlog";

const root = () => mkdtempSync(path.join(tmpdir(), "runs-"));

test("the scan finds run directories, orders them newest first, and observes each status", () => {
  const r = root();
  writeRun(path.join(r, "a"), { steps: 5, status: "completed", startTime: 1000 });
  writeRun(path.join(r, "b"), { steps: 5, status: "interrupted", startTime: 2000 });
  writeRun(path.join(r, "c"), { steps: 5, status: "running", startTime: 3000 });
  writeRun(path.join(r, "d"), { steps: 5, status: "failed", startTime: 500 });
  writeFileSync(path.join(r, "not-a-run.txt"), "x");
  assert.equal(listRunDirs(r).length, 4);
  const reg = new RunRegistry();
  reg.setRoots([r, path.join(r, "missing")]);
  assert.deepEqual(reg.list().map((t) => `${t.id}:${t.status}`), ["c:running", "b:interrupted", "a:completed", "d:failed"]);
  assert.equal(reg.active()?.id, "c");
  assert.equal(reg.get(path.join(r, "d"))?.model.headline().finished?.error, "The engine ran out of GPU memory.");
});

test("appends are read incrementally and reported; new and deleted runs are structural changes", () => {
  const r = root();
  const gen = writeRun(path.join(r, "a"), { steps: 3, status: "running", rolloutsPerStep: 4 });
  const reg = new RunRegistry();
  const seen: string[] = [];
  reg.onChange((changed, structural) => seen.push(`${changed.map((t) => t.id).join("+")}/${structural}`));
  reg.setRoots([r]);
  assert.deepEqual(seen, ["a/true"]);
  reg.refresh(path.join(r, "a"));
  assert.equal(seen.length, 1, "nothing new: no event");
  appendSteps(path.join(r, "a"), gen, 2);
  reg.refresh(path.join(r, "a"));
  const t = reg.get(path.join(r, "a"))!;
  assert.equal(t.model.lastStep, 5);
  assert.deepEqual(t.model.rolloutSteps(), [1, 2, 3, 4, 5]);
  const page = t.rolloutPage(5, "all", 0, 3)!;
  assert.equal(page.rollouts.length, 3);
  assert.equal(page.recorded, 4);
  writeRun(path.join(r, "b"), { steps: 1 });
  reg.scan();
  rmSync(path.join(r, "a"), { recursive: true });
  reg.scan();
  assert.deepEqual(seen.slice(1), ["a/false", "b/true", "/true"]);
  assert.deepEqual(reg.list().map((t) => t.id), ["b"]);
});

test("rollout pages filter by correctness and page through the matches", () => {
  const r = root();
  writeRun(path.join(r, "a"), { steps: 60, rolloutsPerStep: 16 });
  const reg = new RunRegistry();
  reg.setRoots([r]);
  const t = reg.list()[0];
  const all = t.rolloutPage(60, "all", 0, 100)!;
  const right = t.rolloutPage(60, "correct", 0, 100)!;
  const wrong = t.rolloutPage(60, "incorrect", 0, 100)!;
  assert.equal(right.matching + wrong.matching, 16);
  assert.equal(right.matching, all.correct);
  assert.ok(right.rollouts.every((x) => x.correct) && wrong.rollouts.every((x) => !x.correct));
  const p2 = t.rolloutPage(60, "all", 10, 4)!;
  assert.deepEqual(p2.rollouts.map((x) => x.index), [10, 11, 12, 13]);
  assert.equal(t.rolloutPage(61, "all", 0, 4), undefined);
  assert.equal(all.prompt.startsWith("The pressure"), true);
  assert.equal(all.produced, 1024);
});

test("a run directory with only its config is starting (running) until its grace runs out", async () => {
  const { mkdirSync, utimesSync } = await import("node:fs");
  const r = root();
  const dir = path.join(r, "fresh");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "config.json"), "{}");
  const reg = new RunRegistry();
  reg.setRoots([r]);
  assert.equal(reg.list()[0].status, "running");
  const old = new Date(Date.now() - 120_000);
  utimesSync(dir, old, old);
  reg.scan();
  assert.equal(reg.list()[0].status, "interrupted");
});

test("a run whose events.jsonl is a directory is flagged; the scan and the other runs go on", () => {
  const r = root();
  writeRun(path.join(r, "good"), { steps: 3, status: "completed", startTime: 1000 });
  mkdirSync(path.join(r, "bad", "events.jsonl"), { recursive: true });
  writeFileSync(path.join(r, "bad", "status"), "completed\n");
  const reg = new RunRegistry();
  reg.setRoots([r]);
  const good = reg.get(path.join(r, "good"))!;
  const bad = reg.get(path.join(r, "bad"))!;
  assert.equal(good.model.lastStep, 3);
  assert.equal(good.problem, undefined);
  assert.equal(bad.problem, "events.jsonl is a directory, not a file");
  assert.equal(bad.status, "completed");
  assert.equal(reg.list().length, 2);
  // repaired: the flag clears and the log is read
  rmSync(path.join(r, "bad", "events.jsonl"), { recursive: true });
  copyFileSync(path.join(r, "good", "events.jsonl"), path.join(r, "bad", "events.jsonl"));
  reg.refresh(path.join(r, "bad"));
  assert.equal(bad.problem, undefined);
  assert.equal(bad.model.lastStep, 3);
});
