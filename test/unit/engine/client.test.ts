import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { EngineClient } from "../../../src/core/engine/client";
import { EngineError } from "../../../src/core/engine/errors";
import { outOfMemoryHint } from "../../../src/core/engine/errors";
import { ENGINE_PROTOCOL_VERSION, EngineErrorCode } from "../../../src/core/engine/protocol";

const FAKE = path.resolve("test/unit/engine/fixtures/fake-engine.mjs");
const start = (env: Record<string, string> = {}) =>
  EngineClient.start({ command: process.execPath, args: [FAKE], env: { ...process.env, ...env } }, { logHint: "See engine.log." });

test("typed requests round-trip and stop ends the process cleanly", async () => {
  const e = start();
  const hello = await e.request("hello", {});
  assert.equal(hello.protocol_version, ENGINE_PROTOCOL_VERSION);
  const g = await e.request("generate", { prompts: ["p"], rollouts: 3, temperature: 1, top_p: 1, top_k: 0, max_response_tokens: 8, stop: [], keep_for_training: true });
  assert.equal(g.outputs.length, 3);
  assert.equal(g.batch_id, "b1");
  const exit = await e.stop();
  assert.equal(exit.code, 0);
  assert.equal(e.running, false);
});

test("an engine error becomes an EngineError with its code and the controller's hint, in settings' words", async () => {
  const e = start({ FAKE_ENGINE_OOM_AT_TRAIN: "1" });
  await e.request("generate", { prompts: ["p"], rollouts: 2, temperature: 1, top_p: 1, top_k: 0, max_response_tokens: 8, stop: [], keep_for_training: true });
  const err = await e.request("train_step", trainParams("b1")).catch((x: unknown) => x);
  await e.stop();
  assert.ok(err instanceof EngineError);
  assert.equal(err.code, EngineErrorCode.OutOfMemory);
  assert.ok(err.outOfMemory);
  assert.equal(err.message, "CUDA out of memory. Tried to allocate 2.00 GiB");
  // The fake engine still sends an engine-worded `data.hint`; the controller's sentence wins, for the phase that ran out.
  assert.equal(err.phase, "train_step");
  assert.equal(err.hint, outOfMemoryHint("train_step"));
  assert.match(err.hint ?? "", /lower micro_batch_size or turn on gradient_checkpointing.*`oneshot plan EXAMPLE`/);
});

test("an engine error's reason picks the controller's advice for that case", async () => {
  const e = start();
  const load = { dtype: "float32", device: "cpu", seed: 0, train: false, reference_model: false, gradient_checkpointing: false } as const;
  const err = await e.request("load", { model: "gated-model", ...load }).catch((x: unknown) => x);
  await e.stop();
  assert.ok(err instanceof EngineError);
  assert.equal(err.code, EngineErrorCode.ModelNotFound);
  assert.match(err.hint ?? "", /^Accept the model's licence on huggingface\.co .*set `model:`/);
});

test("a SIGKILLed engine fails the pending request with a readable message and an OOM hint", async () => {
  const e = start({ FAKE_ENGINE_KILL_AT_TRAIN: "1" });
  await e.request("generate", { prompts: ["p"], rollouts: 2, temperature: 1, top_p: 1, top_k: 0, max_response_tokens: 8, stop: [], keep_for_training: true });
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
  await e.request("generate", { prompts: ["p"], rollouts: 2, temperature: 1, top_p: 1, top_k: 0, max_response_tokens: 8, stop: [], keep_for_training: true });
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
    clip_ratio_low: 0.2,
    clip_ratio_high: 0.2,
    kl_coef: 0,
    kl_type: "low_var_kl" as const,
    entropy_coef: 0,
    loss_agg: "token-mean" as const,
    mini_batches: 1,
    micro_batch_size: 2,
  };
}
