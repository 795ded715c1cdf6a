// The exported built-in model in onnxruntime-node against the real engine on CPU: the prompt the
// tokenizer and chat template give here is the engine's, and greedy answers are the engine's
// greedy answers, text and token count, on 20 synthetic benchmark problems (the ones `oneshot eval`
// scores, with its settings).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { openEngineSession } from "../../../src/cli/engineSession";
import type { EvalSession } from "../../../src/cli/evalSession";
import { GREEDY, PRESETS } from "../../../src/core/bench/presets";
import { chatMessages } from "../../../src/core/bench/runner";
import { venvPython } from "../../../src/core/engine/pythonEnv";
import { runExport } from "../../../src/core/try/exporter";
import { OnnxModel } from "../../../src/core/try/onnxModel";

const work = mkdtempSync(path.join(tmpdir(), "try-parity-"));
const env = { ...process.env, OMP_NUM_THREADS: "1" };
const MODEL = path.resolve("examples/models/tiny-math");
const N = 20;
const synthetic = PRESETS.find((p) => p.name === "synthetic")!.settings;
const problems = readFileSync("examples/bench/synthetic.jsonl", "utf8")
  .trim()
  .split("\n")
  .slice(0, N)
  .map((l) => JSON.parse(l) as { id: string; problem: string; answer: string });

let engine: EvalSession;
let onnx: OnnxModel;

before(async () => {
  const out = new PassThrough();
  const ctx = { installDir: path.resolve("src/cli"), stdout: out, stderr: out, cwd: path.resolve("."), env };
  const dir = path.join(work, "export");
  await runExport(MODEL, dir, { python: venvPython(path.resolve(".venv")), engineDir: path.resolve("engine"), env });
  onnx = await OnnxModel.load(dir, { threads: 1 });
  engine = await openEngineSession({ ctx, model: MODEL, device: "cpu", seed: 0, boxedOnly: true });
});

after(async () => {
  await engine?.close();
  await onnx?.dispose();
});

test(`greedy answers from onnxruntime-node equal the engine's on ${N} synthetic problems`, async () => {
  const prompts: string[] = [];
  for (const p of problems) {
    const messages = chatMessages(GREEDY.system_prompt, p.problem);
    const here = onnx.tokenizer.formatPrompt(messages);
    const there = (await engine.backend.formatPrompt({ messages })).text;
    assert.equal(here, there, `prompt of ${p.id}`);
    prompts.push(here);
  }
  // One batch, as evaluation sends it (left-padded rows in the engine).
  const gen = await engine.backend.generate({
    prompts,
    rollouts: 1,
    temperature: 0,
    top_p: 1,
    top_k: 0,
    max_response_tokens: synthetic.max_new_tokens,
    stop: [],
    seed: 0,
    keep_for_training: false,
  });
  let streamed = 0;
  for (const [i, p] of problems.entries()) {
    const expected = gen.outputs.find((o) => o.prompt_index === i)!;
    let text = "";
    const got = await onnx.generate(prompts[i]!, { maxTokens: synthetic.max_new_tokens, temperature: 0, onText: (d) => (text += d) });
    assert.equal(got.text, expected.text, `answer to ${p.id}`);
    assert.equal(got.tokens, expected.tokens, `tokens of ${p.id}`);
    assert.equal(got.finishReason, expected.finish_reason, `finish reason of ${p.id}`);
    assert.equal(text, got.text, "the streamed deltas add up to the answer");
    streamed += got.tokens;
  }
  assert.ok(streamed > N, "the model wrote something");
});
