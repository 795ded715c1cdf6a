// Exported models in onnxruntime-node against the real engine on CPU: the prompt the tokenizer and
// chat template give here is the engine's, and greedy answers are the engine's greedy answers, text
// and token count, on synthetic benchmark problems (the ones `oneshot eval` scores, with its
// settings): 20 for the built-in model, 8 for a checkpoint a real cpu-demo run trained from it. A
// 4-bit export of the built-in model agrees on most of the 20, and its folder is the smallest.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { trainCommand } from "../../../src/cli/commands/train";
import { openEngineSession } from "../../../src/cli/engineSession";
import type { EvalSession } from "../../../src/cli/evalSession";
import { GREEDY, PRESETS } from "../../../src/core/bench/presets";
import { chatMessages } from "../../../src/core/bench/runner";
import { venvPython } from "../../../src/core/engine/pythonEnv";
import { runExport } from "../../../src/core/try/exporter";
import { OnnxModel } from "../../../src/core/try/onnxModel";
import { captureCli } from "../cliContext";

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

const python = venvPython(path.resolve(".venv"));
const sessions: { engine: EvalSession; onnx: OnnxModel }[] = [];
let checkpoint: string;

/** The engine's greedy answers to the first N problems (prompt, text), kept from the built-in model's parity test. */
const engineAnswers: { prompt: string; text: string }[] = [];

async function open(model: string, name: string): Promise<{ engine: EvalSession; onnx: OnnxModel }> {
  const out = new PassThrough();
  const ctx = { installDir: path.resolve("src/cli"), stdout: out, stderr: out, cwd: path.resolve("."), env };
  const dir = path.join(work, `export-${name}`);
  await runExport(model, dir, { python, engineDir: path.resolve("engine"), env });
  const s = { onnx: await OnnxModel.load(dir, { threads: 1 }), engine: await openEngineSession({ ctx, model, device: "cpu", seed: 0, boxedOnly: true }) };
  sessions.push(s);
  return s;
}

before(async () => {
  // Two steps of the cpu-demo recipe move the weights away from the built-in model's.
  const runDir = path.join(work, "run");
  const c = captureCli({ cwd: path.resolve("."), env });
  const args = ["examples/equations.rlvr.md", "--preset", "cpu-demo", "--steps", "2", "--run-dir", runDir, "--python", python, "--set", "eval_every=0"];
  assert.equal(await trainCommand.run(args, c), 0, c.err());
  checkpoint = path.join(runDir, "checkpoints", "step-2");
});

after(async () => {
  for (const s of sessions) {
    await s.engine.close();
    await s.onnx.dispose();
  }
});

async function parity(model: string, name: string, n: number, keep?: typeof engineAnswers): Promise<void> {
  const { engine, onnx } = await open(model, name);
  const prompts: string[] = [];
  for (const p of problems.slice(0, n)) {
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
  for (const [i, p] of problems.slice(0, n).entries()) {
    const expected = gen.outputs.find((o) => o.prompt_index === i)!;
    let text = "";
    const got = await onnx.generate(prompts[i]!, { maxTokens: synthetic.max_new_tokens, temperature: 0, onText: (d) => (text += d) });
    assert.equal(got.text, expected.text, `answer to ${p.id}`);
    assert.equal(got.tokens, expected.tokens, `tokens of ${p.id}`);
    assert.equal(got.finishReason, expected.finish_reason, `finish reason of ${p.id}`);
    assert.equal(text, got.text, "the streamed deltas add up to the answer");
    streamed += got.tokens;
    keep?.push({ prompt: prompts[i]!, text: expected.text });
  }
  assert.ok(streamed > n, "the model wrote something");
}

test(`greedy answers from onnxruntime-node equal the engine's on ${N} synthetic problems`, async () => {
  await parity(MODEL, "builtin", N, engineAnswers);
});

// Measured: 15 of 20 identical (block 32); 2-bit weights, standing in for a broken quantisation: 6.
const Q4_AGREEMENT = 12;

test(`a 4-bit export of the built-in model gives the engine's greedy answer on most of the ${N} problems, from the smallest folder`, async () => {
  assert.equal(engineAnswers.length, N, "the engine's answers from the parity test above");
  const q4 = await runExport(MODEL, path.join(work, "export-q4"), { python, engineDir: path.resolve("engine"), env, quantize: "q4" });
  const int8 = await runExport(MODEL, path.join(work, "export-int8"), { python, engineDir: path.resolve("engine"), env, quantize: "int8" });
  assert.equal(q4.model_file, "onnx/model_q4.onnx");
  assert.ok(q4.bytes < int8.bytes, `q4 folder ${q4.bytes} bytes, int8 ${int8.bytes}`);
  const onnx = await OnnxModel.load(path.join(work, "export-q4"), { threads: 1 });
  let same = 0;
  try {
    for (const a of engineAnswers) {
      const got = await onnx.generate(a.prompt, { maxTokens: synthetic.max_new_tokens, temperature: 0 });
      if (got.text === a.text) same++;
    }
  } finally {
    await onnx.dispose();
  }
  assert.ok(same >= Q4_AGREEMENT, `${same} of ${N} greedy answers equal the engine's (at least ${Q4_AGREEMENT} expected)`);
});

test("the same holds for a checkpoint of a cpu-demo run", async () => {
  await parity(checkpoint, "checkpoint", 8);
});
