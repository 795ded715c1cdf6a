import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { EngineClient } from "../../../src/core/engine/client";
import { EngineError } from "../../../src/core/engine/errors";
import { EngineErrorCode } from "../../../src/core/engine/protocol";

const FAKE = path.resolve("test/unit/engine/fixtures/fake-engine.mjs");
const start = (env: Record<string, string> = {}) =>
  EngineClient.start({ command: process.execPath, args: [FAKE], env: { ...process.env, ...env } }, { logHint: "See engine.log." });

test("typed requests round-trip and stop ends the process cleanly", async () => {
  const e = start();
  const hello = await e.request("hello", {});
  assert.equal(hello.protocol_version, 1);
  const g = await e.request("generate", { prompts: ["p"], n: 3, temperature: 1, top_p: 1, top_k: 0, max_new_tokens: 8, stop: [], keep_for_training: true });
  assert.equal(g.outputs.length, 3);
  assert.equal(g.batch_id, "b1");
  const exit = await e.stop();
  assert.equal(exit.code, 0);
  assert.equal(e.running, false);
});

test("an engine error becomes an EngineError with its code and hint", async () => {
  const e = start({ FAKE_ENGINE_OOM_AT_TRAIN: "1" });
  await e.request("generate", { prompts: ["p"], n: 2, temperature: 1, top_p: 1, top_k: 0, max_new_tokens: 8, stop: [], keep_for_training: true });
  const err = await e.request("train_step", trainParams("b1")).catch((x: unknown) => x);
  assert.ok(err instanceof EngineError);
  assert.equal(err.code, EngineErrorCode.OutOfMemory);
  assert.ok(err.outOfMemory);
  assert.equal(err.message, "CUDA out of memory. Tried to allocate 2.00 GiB");
  assert.equal(err.hint, "Lower micro_batch_size.");
  await e.stop();
});

test("a SIGKILLed engine fails the pending request with a readable message and an OOM hint", async () => {
  const e = start({ FAKE_ENGINE_KILL_AT_TRAIN: "1" });
  await e.request("generate", { prompts: ["p"], n: 2, temperature: 1, top_p: 1, top_k: 0, max_new_tokens: 8, stop: [], keep_for_training: true });
  const err = await e.request("train_step", trainParams("b1")).catch((x: unknown) => x);
  assert.ok(err instanceof EngineError);
  assert.equal(err.kind, "exited");
  assert.equal(err.message, "The engine process was killed by SIGKILL");
  assert.match(err.hint ?? "", /out of memory/);
  // Later requests fail the same way instead of hanging.
  await assert.rejects(e.request("hello", {}), /killed by SIGKILL/);
});

test("a Python traceback's last error line is the message", async () => {
  const e = start({ FAKE_ENGINE_CRASH_AT_TRAIN: "1" });
  await e.request("generate", { prompts: ["p"], n: 2, temperature: 1, top_p: 1, top_k: 0, max_new_tokens: 8, stop: [], keep_for_training: true });
  const err = (await e.request("train_step", trainParams("b1")).catch((x: unknown) => x)) as EngineError;
  assert.equal(err.message, "The engine process exited with code 1: RuntimeError: shape mismatch in loss");
  assert.match(err.hint ?? "", /See engine\.log\. Resume/);
});

test("a missing python is a spawn error that points at `oneshot setup`", async () => {
  const e = EngineClient.start({ command: "/nonexistent/python", args: [] });
  const err = (await e.request("hello", {}).catch((x: unknown) => x)) as EngineError;
  assert.equal(err.kind, "spawn");
  assert.match(err.message, /\/nonexistent\/python was not found/);
  assert.match(err.hint ?? "", /oneshot setup/);
});

function trainParams(batch_id: string) {
  return {
    batch_id,
    advantages: [1, -1],
    clip_eps_low: 0.2,
    clip_eps_high: 0.2,
    kl_coef: 0,
    kl_type: "low_var_kl" as const,
    entropy_coef: 0,
    loss_agg: "token-mean" as const,
    mini_batches: 1,
    micro_batch_size: 2,
  };
}
