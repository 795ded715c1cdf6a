// `oneshot try` and `oneshot export` end to end on the built-in model (a copy, so the export is
// cached beside it as it would be beside a checkpoint), and their one-sentence refusals.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { captureCli } from "../cliContext";

const work = mkdtempSync(path.join(tmpdir(), "try-cli-"));
const env = { ...process.env, OMP_NUM_THREADS: "1", XDG_CACHE_HOME: path.join(work, "cache") };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = captureCli({ cwd: work, env });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

const model = path.join(work, "tiny");
cpSync("examples/models/tiny-math", model, { recursive: true });

test("try exports on first use, beside the model, then reuses the export; --json gives answer, extraction and verdict", async () => {
  const args = ["try", "tiny", "--problem", "Solve for $x$: $2x + 30 = 44$.", "--answer", "7", "--max-tokens", "96", "--json"];
  const first = await cli(args);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /Exporting tiny to ONNX \(first use\)/);
  assert.ok(existsSync(path.join(model, "onnx-fp32", "onnx", "model.onnx")));
  const r = JSON.parse(first.out) as { answers: { label: string; answer: { text: string; extracted: string | null; verdict?: { correct: boolean }; tokens: number } }[] };
  assert.equal(r.answers.length, 1);
  const a = r.answers[0]!.answer;
  assert.ok(a.text.length > 0 && a.tokens > 0);
  assert.ok(a.verdict, "a verdict, since --answer was given");
  assert.equal(a.verdict.correct, a.extracted === "7" && /\\boxed/.test(a.text));
  const again = await cli(args);
  assert.equal(again.code, 0, again.err);
  assert.doesNotMatch(again.err, /Exporting/, "the cached export is reused");
  const text = (out: string) => (JSON.parse(out) as typeof r).answers[0]!.answer.text;
  assert.equal(text(again.out), a.text, "greedy: the same answer twice");
});

test("export --onnx --quantize int8 --out writes a complete folder; plain text streaming with --compare", async () => {
  const out = path.join(work, "q8");
  const e = await cli(["export", "tiny", "--onnx", "--quantize", "int8", "--out", "q8"]);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /^Exported tiny to .*q8 \(\d+\.\d MiB, [\d.]+ s, logits within/);
  assert.ok(existsSync(path.join(out, "onnx", "model_quantized.onnx")));
  assert.deepEqual(readdirSync(work).filter((n) => n.startsWith(".")), [], "no temporary folder left");
  const t = await cli(["try", "tiny", "--problem", "What is 2 + 3?", "--compare", "examples-copy", "--max-tokens", "8"].map((a) => (a === "examples-copy" ? model : a)));
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out.match(/── tiny ──/g)?.length, 2, "two answers, each under its model's name");
  assert.match(t.out, /\[8 tokens, hit the token limit, first token \d+ ms/);
});

test("try --quantize q4 exports 4-bit weights beside the model (onnx-q4/) and answers from them", async () => {
  const t = await cli(["try", "tiny", "--quantize", "q4", "--problem", "Solve for $x$: $2x + 30 = 44$.", "--max-tokens", "24", "--json"]);
  assert.equal(t.code, 0, t.err);
  assert.match(t.err, /quantising the weights to 4 bits/);
  assert.ok(existsSync(path.join(model, "onnx-q4", "onnx", "model_q4.onnx")));
  const a = (JSON.parse(t.out) as { answers: { answer: { text: string; tokens: number } }[] }).answers[0]!.answer;
  assert.ok(a.tokens > 0 && a.text.length > 0);
});

test("bad input: one sentence and exit code 1, no stack trace", async () => {
  const noTok = path.join(work, "no-tok");
  cpSync("examples/models/tiny-math", noTok, { recursive: true });
  rmSync(path.join(noTok, "tokenizer.json"));
  const a = await cli(["try", "no-tok", "--problem", "1+1?"]);
  assert.equal(a.code, 1);
  assert.match(a.err, /^oneshot try: .*no-tok has no tokenizer\.json, so the export could not be used to talk to the model/);
  const gemma = path.join(work, "gemma");
  cpSync("examples/models/tiny-math", gemma, { recursive: true });
  const cfg = JSON.parse(readFileSync(path.join(gemma, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(path.join(gemma, "config.json"), JSON.stringify({ ...cfg, model_type: "gemma2" }));
  const b = await cli(["export", "gemma", "--onnx"]);
  assert.equal(b.code, 1);
  assert.match(b.err, /^oneshot export: model type 'gemma2' is not supported; the engine runs qwen2, llama, qwen3\. \(Pick a Qwen2/);
  const c = await cli(["try", "tiny", "--problem", "1+1?", "--compare", "base"]);
  assert.equal(c.code, 2);
  assert.match(c.err, /--compare base needs a run/);
  const d = await cli(["export", "tiny"]);
  assert.equal(d.code, 2);
  assert.match(d.err, /give --onnx/);
  const q = await cli(["export", "tiny", "--onnx", "--quantize", "q3"]);
  assert.equal(q.code, 2);
  assert.match(q.err, /--quantize must be int8, q4 or none, not 'q3'/);
  for (const r of [a, b]) assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
});
