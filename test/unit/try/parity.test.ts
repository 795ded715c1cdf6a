// Exported models in onnxruntime-node against the real engine on CPU: the prompt the tokenizer and
// chat template give here is the engine's, and greedy answers are the engine's greedy answers, text
// and token count, on synthetic benchmark problems (the ones `oneshot eval` scores, with its
// settings): 20 for the built-in model, 8 for a checkpoint a real cpu-demo run trained from it.
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

async function parity(model: string, name: string, n: number): Promise<void> {
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
  }
  assert.ok(streamed > n, "the model wrote something");
}

test(`greedy answers from onnxruntime-node equal the engine's on ${N} synthetic problems`, async () => {
  await parity(MODEL, "builtin", N);
});

test("the same holds for a checkpoint of a cpu-demo run", async () => {
  await parity(checkpoint, "checkpoint", 8);
});
