// The model in a worker thread, as the editor runs it: the same greedy answer as in-thread, Stop
// reaches the worker between steps, and a refusal keeps its sentence across the thread boundary.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as esbuild from "esbuild";
import { venvPython } from "../../../src/core/engine/pythonEnv";
import { answer } from "../../../src/core/try/answer";
import { TryError } from "../../../src/core/try/errors";
import { runExport } from "../../../src/core/try/exporter";
import { OnnxModel } from "../../../src/core/try/onnxModel";
import { WorkerModel } from "../../../src/core/try/workerModel";
import { createVerifier } from "../../../src/core/verifier/index";

const work = mkdtempSync(path.join(tmpdir(), "try-worker-"));
const dir = path.join(work, "export");
// The worker bundled as esbuild.mjs bundles dist/try-worker.cjs (Node 20's workers do not take
// tsx's loader for their entry), into out/ so that onnxruntime-node resolves from node_modules.
const workerOptions = { workerFile: path.resolve("out/test/try-worker.cjs"), threads: 1 };
const prompt = "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>user\nSolve for $x$: $2x + 30 = 44$.<|im_end|>\n<|im_start|>assistant\n";

before(async () => {
  await esbuild.build({ entryPoints: ["src/core/try/worker.ts"], outfile: workerOptions.workerFile, bundle: true, platform: "node", format: "cjs", target: "es2022", external: ["onnxruntime-node"], logLevel: "error" });
  await runExport(path.resolve("examples/models/tiny-math"), dir, { python: venvPython(path.resolve(".venv")), engineDir: path.resolve("engine"), env: { ...process.env, OMP_NUM_THREADS: "1" } });
});

after(() => rmSync(work, { recursive: true, force: true }));

test("a worker-thread model answers as the in-thread one, streams, and stops when asked", async () => {
  const local = await OnnxModel.load(dir, { threads: 1 });
  const expected = await local.generate(prompt, { maxTokens: 96, temperature: 0 });
  await local.dispose();
  const model = await WorkerModel.load(dir, workerOptions);
  let streamed = "";
  const got = await model.generate(prompt, { maxTokens: 96, temperature: 0, onText: (t) => (streamed += t) });
  assert.equal(got.text, expected.text);
  assert.equal(got.tokens, expected.tokens);
  assert.equal(streamed, got.text);
  const ac = new AbortController();
  let deltas = 0;
  const stopped = await model.generate(prompt, { maxTokens: 96, temperature: 0, signal: ac.signal, onText: () => ++deltas === 3 && ac.abort() });
  assert.equal(stopped.finishReason, "aborted");
  assert.ok(stopped.tokens < expected.tokens, `stopped after ${stopped.tokens} tokens`);
  await model.dispose();
});

test("an answer with a reference gets its verdict through a worker model (the verifier stays on this side)", async () => {
  const model = await WorkerModel.load(dir, workerOptions);
  try {
    const target = { model: dir, label: "tiny-math", stop: [] };
    const verifier = createVerifier({ kind: "math" }, { boxedOnly: true });
    const got = await answer(model, target, { problem: "Solve for $x$: $2x + 30 = 44$.", reference: "7", verifier, maxTokens: 48, temperature: 0 });
    assert.ok(got.verdict, "a verdict");
    assert.equal(typeof got.verdict.correct, "boolean");
    assert.ok(got.text.length > 0);
  } finally {
    await model.dispose();
  }
});

test("a refusal in the worker arrives as the same one-sentence TryError", async () => {
  await assert.rejects(WorkerModel.load(dir, { ...workerOptions, freeMemory: 1000 }), (e: Error) => e instanceof TryError && /needs about .* GiB of memory to run/.test(e.message));
  const noTok = path.join(work, "no-tok");
  cpSync(dir, noTok, { recursive: true });
  rmSync(path.join(noTok, "tokenizer.json"));
  await assert.rejects(WorkerModel.load(noTok, workerOptions), (e: Error) => e instanceof TryError && /has no tokenizer.json/.test(e.message));
});
