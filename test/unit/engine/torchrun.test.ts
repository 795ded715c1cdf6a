// The engine under the real torchrun (the venv's torch.distributed.run, 2 CPU processes) with a fake
// oneshot_engine package (fixtures/torchrun-engine): rank 0 is the fake JSON-RPC engine, rank 1
// waits. What is tested is the controller's side: world size, a failed rank named, no process left.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { EngineClient } from "../../../src/core/engine/client";
import { EngineError } from "../../../src/core/engine/errors";
import { engineLaunch } from "../../../src/core/engine/launch";
import { ONE_MACHINE } from "../../../src/core/engine/topology";
import { alive, rankPids, TORCHRUN_PYTHON } from "./torchrunHelpers";

const skip = process.platform !== "linux";

function start(env: Record<string, string> = {}) {
  const pids = mkdtempSync(path.join(tmpdir(), "oneshot-ranks-"));
  const launch = engineLaunch(TORCHRUN_PYTHON, path.resolve("engine"), { ...process.env, NODE: process.execPath, FAKE_RANK_PIDS: pids, ...env }, { ...ONE_MACHINE, devices: 2 });
  return { engine: EngineClient.start(launch, { logHint: "See engine.log." }), pids };
}

test("torchrun's rank 0 answers with the world size; a stop ends every rank and torchrun", { skip }, async () => {
  const { engine, pids } = start();
  const hello = await engine.request("hello", {});
  assert.equal(hello.world_size, 2);
  const ranks = await rankPids(pids);
  assert.equal(ranks.length, 2);
  const exit = await engine.stop();
  assert.equal(exit.code, 0, engine.stderr.join("\n"));
  assert.deepEqual(ranks.filter(alive), []);
});

test("kill -9 of rank 1 fails the pending request within seconds, naming rank 1, and leaves no process", { skip }, async () => {
  const { engine, pids } = start({ FAKE_RANK_DIE: "1:1.5", FAKE_ENGINE_DELAY_MS: "60000" });
  await engine.request("hello", {});
  const ranks = await rankPids(pids);
  const t0 = Date.now();
  const err = await engine.request("generate", { prompts: ["p"], rollouts: 2, temperature: 1, top_p: 1, top_k: 0, max_response_tokens: 8, stop: [], keep_for_training: true }).catch((e: unknown) => e);
  assert.ok(err instanceof EngineError, String(err));
  assert.equal(err.message, `Engine rank 1 (local rank 1 on ${hostOf(engine.stderr)}) was killed by SIGKILL`);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  await engine.exited;
  assert.deepEqual(ranks.filter(alive), []);
});

test("killing the engine at once (a forced stop) kills the ranks too, which torchrun's group does not hold", { skip }, async () => {
  // A rank stuck in a collective: neither torchrun's SIGTERM nor rank 0's end reaches it.
  const { engine, pids } = start({ FAKE_RANK_STUCK: "1" });
  await engine.request("hello", {});
  const ranks = await rankPids(pids);
  assert.ok(ranks.every(alive));
  engine.kill();
  await engine.exited;
  for (let i = 0; i < 40 && ranks.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  const left = ranks.filter(alive);
  for (const pid of left) process.kill(pid, "SIGKILL"); // a failing test must not hang on them
  assert.deepEqual(left, []);
});

function hostOf(stderr: readonly string[]): string {
  return /^\s+host\s*:\s*(\S+)/m.exec(stderr.join("\n"))?.[1] ?? "?";
}
