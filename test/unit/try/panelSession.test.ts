// The panel's logic with a stand-in model: messages in order, a new question stopping the one
// being answered, and failures reported on their own side without ending the other.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OnnxModel } from "../../../src/core/try/onnxModel";
import { TryPanelSession } from "../../../src/core/try/panelSession";
import type { TryTarget } from "../../../src/core/try/target";
import { createVerifier } from "../../../src/core/verifier/index";
import type { ExtensionToTryView, TryRequest } from "../../../src/protocol/tryMessages";

/** A model that writes "The answer is \boxed{7}." one word per step, checking its abort signal. */
function fakeModel(stepMs = 5): OnnxModel {
  return {
    tokenizer: { formatPrompt: () => "prompt" },
    generate: async (_p: string, o: { signal?: AbortSignal; onText?: (d: string) => void }) => {
      const words = ["The ", "answer ", "is ", "\\boxed{7}."];
      let text = "";
      for (const w of words) {
        if (o.signal?.aborted) return { text, tokens: text.length, finishReason: "aborted", firstTokenMs: 1, tokensPerSecond: 1 };
        await new Promise((r) => setTimeout(r, stepMs));
        text += w;
        o.onText?.(w);
      }
      return { text, tokens: 4, finishReason: "stop", firstTokenMs: 1, tokensPerSecond: 100 };
    },
    dispose: async () => undefined,
  } as unknown as OnnxModel;
}

const target: TryTarget = { model: "/runs/a/checkpoints/step-2", label: "a/step-2", stop: [], base: "/nowhere/base-model" };

function session(load: (t: TryTarget) => Promise<OnnxModel>) {
  const sent: ExtensionToTryView[] = [];
  const s = new TryPanelSession({
    send: (m) => sent.push(m),
    models: () => [{ choice: { id: target.model, label: target.label, description: "", hasBase: true }, target }],
    load: (t) => load(t),
    verifier: createVerifier({ kind: "math" }, { boxedOnly: true }),
    syntheticFile: "examples/bench/synthetic.jsonl",
    cwd: "/",
  });
  return { s, sent };
}

const ask: TryRequest = { type: "ask", model: target.model, compare: true, problem: "2x = 14", answer: "7", temperature: 0, maxTokens: 10 };

test("an answer streams between start and done with its verdict; a base that cannot be found fails on its side only", async () => {
  const { s, sent } = session(async () => fakeModel());
  await s.handle({ type: "ready" });
  assert.equal(sent[0]!.type, "init");
  await s.handle(ask);
  const types = sent.map((m) => m.type);
  assert.deepEqual(types.filter((t) => t === "delta").length, 4);
  const done = sent.find((m) => m.type === "done");
  assert.ok(done && done.type === "done" && done.answer.verdict?.correct === true && done.answer.extracted === "7");
  const failed = sent.find((m) => m.type === "failed");
  assert.ok(failed && failed.type === "failed" && failed.side === "base" && /neither a folder nor a hub id|holds no model/.test(failed.message), JSON.stringify(failed));
  assert.equal(types.at(-1), "idle");
});

test("a new question stops the one being answered; a failing load is reported and retried next time", async () => {
  let loads = 0;
  const { s, sent } = session(async () => {
    loads++;
    if (loads === 1) throw new Error("this model needs about 9.0 GiB of memory to run but only 1.0 GiB is free");
    return fakeModel(30);
  });
  await s.handle({ ...ask, compare: false });
  assert.match(JSON.stringify(sent.find((m) => m.type === "failed")), /needs about 9.0 GiB/);
  sent.length = 0;
  const first = s.handle({ ...ask, compare: false });
  await new Promise((r) => setTimeout(r, 40));
  const second = s.handle({ ...ask, compare: false });
  await Promise.all([first, second]);
  const dones = sent.filter((m): m is Extract<ExtensionToTryView, { type: "done" }> => m.type === "done");
  assert.equal(dones.length, 2);
  assert.equal(dones[0]!.answer.finishReason, "aborted", "the first answer was stopped by the second question");
  assert.equal(dones[1]!.answer.finishReason, "stop");
  assert.equal(loads, 2, "the model loaded once after the failure, then was kept");
  s.dispose();
});
