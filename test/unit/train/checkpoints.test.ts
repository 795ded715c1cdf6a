import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { CheckpointKeeper } from "../../../src/core/train/checkpoints";
import { acquireRunLock, RunLockError } from "../../../src/core/run/lock";
import { SummaryBuilder } from "../../../src/core/run/summary";
import type { RunEvent } from "../../../src/core/run/events";

const ck = (step: number, resumable = true) => ({ step, path: `checkpoints/step-${step}`, resumable });

test("retention keeps the last N resumable checkpoints plus the best", () => {
  const k = new CheckpointKeeper(2);
  k.add(ck(10));
  k.add(ck(20));
  k.setBest(20);
  k.add(ck(30));
  k.add(ck(40));
  assert.deepEqual(k.prune().map((c) => c.step), [10]);
  k.add(ck(50));
  assert.deepEqual(k.prune().map((c) => c.step), [30]);
  assert.equal(k.best?.step, 20);
  assert.equal(k.lastResumable?.step, 50);
});

test("a best-only checkpoint does not count toward N and goes when a newer best arrives", () => {
  const k = new CheckpointKeeper(1);
  k.add(ck(10));
  k.add(ck(15, false));
  k.setBest(15);
  assert.deepEqual(k.prune(), []);
  k.add(ck(20));
  k.setBest(20);
  assert.deepEqual(k.prune().map((c) => c.step), [10, 15]);
  assert.equal(k.lastResumable?.step, 20);
});

test("the lock refuses a live holder and takes over a dead one's", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-lock-"));
  const a = acquireRunLock(dir);
  assert.throws(() => acquireRunLock(dir), RunLockError);
  a.release();
  assert.equal(existsSync(path.join(dir, "lock")), false);
  writeFileSync(path.join(dir, "lock"), "999999999\n");
  const b = acquireRunLock(dir);
  b.release();
});

const ev = (e: Record<string, unknown>) => ({ v: 1, t: 0, ...e }) as unknown as RunEvent;

test("the summary tracks initial, best and final per benchmark and drops superseded events on resume", () => {
  const events = [
    ev({ type: "run_started", run_id: "r", example: "x", model: "m", preset: "p", total_steps: 6, start_step: 0, resumed: false, pid: 1 }),
    ev({ type: "eval", step: 0, benchmark: "b", metric: "acc", value: 0.2, n: 10 }),
    ev({ type: "eval", step: 2, benchmark: "b", metric: "acc", value: 0.5, n: 10 }),
    ev({ type: "checkpoint", step: 2, path: "checkpoints/step-2", reason: "interval", resumable: true }),
    ev({ type: "eval", step: 4, benchmark: "b", metric: "acc", value: 0.9, n: 10 }),
    ev({ type: "run_started", run_id: "r", example: "x", model: "m", preset: "p", total_steps: 6, start_step: 2, resumed: true, pid: 2 }),
    ev({ type: "eval", step: 4, benchmark: "b", metric: "acc", value: 0.4, n: 10 }),
  ];
  const s = SummaryBuilder.fromEvents(events, "r", 6, "b").build("running");
  assert.deepEqual(s.benchmarks.b, { metric: "acc", n: 10, initial: 0.2, best: 0.5, best_step: 2, final: 0.4, final_step: 4 });
  assert.equal(s.best_checkpoint, "checkpoints/step-2");
  assert.equal(s.steps, 2);
});
