import assert from "node:assert/strict";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { EvalCache, modelFingerprint } from "../../../src/core/bench/evalCache";
import { evalEvent, evaluateBenchmark, runResultsFile } from "../../../src/core/bench/evaluation";
import { AVG_AT_8, GREEDY, PAPER_SYSTEM_PROMPT } from "../../../src/core/bench/presets";
import { readResults } from "../../../src/core/bench/results";
import { flips, summarize } from "../../../src/core/bench/scoring";
import { subsetOf } from "../../../src/core/bench/subset";
import type { Benchmark, BenchProblem } from "../../../src/core/bench/types";
import { mathVerifier, scriptedBackend } from "./fakes";
import { tmp } from "./fixtures";

const problems: BenchProblem[] = Array.from({ length: 10 }, (_, i) => ({
  id: `p${i}`,
  problem: `What is ${i}+${i}?`,
  answer: String(2 * i),
  skill: i % 2 ? "odd" : "even",
}));
const bench = (settings = GREEDY, ps = problems): Benchmark => ({
  name: "toy",
  title: "Toy",
  source: { kind: "file", path: "toy.jsonl" },
  problems: ps,
  settings,
  fromPreset: false,
  origin: "toy.jsonl",
});
// Right on even-numbered problems, wrong on odd ones.
const evenSolver = (problem: string) => {
  const i = Number(/(\d+)\+/.exec(problem)![1]);
  return i % 2 === 0 ? String(2 * i) : "0";
};

test("greedy: one sample per problem at temperature 0 with the paper's system prompt; acc and per-skill breakdown", async () => {
  const { backend, calls } = scriptedBackend(evenSolver);
  const out = await evaluateBenchmark(bench(), { backend, verifier: mathVerifier, batchSize: 4 });
  assert.equal(out.metric, "acc");
  assert.equal(out.n, 10);
  // p0 is right for both solvers ("0" is its answer), so 5 of 10.
  assert.equal(out.value, 0.5);
  assert.deepEqual(out.breakdown, { even: { value: 1, n: 5 }, odd: { value: 0, n: 5 } });
  assert.equal(calls.length, 3); // batches of 4, 4, 2
  assert.ok(calls.every((c) => c.rollouts === 1 && c.temperature === 0 && c.max_response_tokens === 3072 && !c.keep_for_training));
  assert.equal(calls[0]!.prompts[0], `${PAPER_SYSTEM_PROMPT}|What is 0+0?`);
  assert.equal(out.results[3]!.responses[0]!.extracted, "0");
});

test("avg@8: eight samples at temperature 0.6; the score is the mean fraction correct", async () => {
  // Problem i is solved on its first i samples (capped at 8).
  const { backend, calls } = scriptedBackend((problem, s) => {
    const i = Number(/(\d+)\+/.exec(problem)![1]);
    return s < i ? String(2 * i) : "wrong";
  });
  const out = await evaluateBenchmark(bench(AVG_AT_8), { backend, verifier: mathVerifier });
  assert.equal(out.metric, "avg@8");
  assert.ok(calls.every((c) => c.rollouts === 8 && c.temperature === 0.6));
  const expected = problems.map((_, i) => Math.min(i, 8) / 8).reduce((a, b) => a + b) / 10;
  assert.ok(Math.abs(out.value - expected) < 1e-12);
  assert.equal(out.results[3]!.correct, 3);
  assert.equal(out.results[3]!.samples, 8);
});

test("a cached evaluation is not recomputed; other settings or data are a different key", async () => {
  const dir = tmp();
  const cache = new EvalCache(path.join(dir, "evals"));
  const { backend, calls } = scriptedBackend(evenSolver);
  const o = { backend, verifier: mathVerifier, cache, modelKey: "id:model-a", resultsDir: path.join(dir, "run", "eval", "step-0") };
  const first = await evaluateBenchmark(bench(), o);
  const n = calls.length;
  const second = await evaluateBenchmark(bench(), o);
  assert.equal(calls.length, n);
  assert.equal(second.cached, true);
  assert.equal(second.value, first.value);
  assert.deepEqual(readResults(second.resultsFile!), first.results);
  await evaluateBenchmark(bench({ ...GREEDY, max_new_tokens: 512 }), o);
  assert.ok(calls.length > n);
  const m = calls.length;
  await evaluateBenchmark(bench(), { ...o, modelKey: "id:model-b" });
  assert.ok(calls.length > m);
  // Greedy ignores the seed: a different seed is the same entry; a different template is not.
  const k = calls.length;
  await evaluateBenchmark(bench({ ...GREEDY, seed: 7 }), o);
  assert.equal(calls.length, k);
  await evaluateBenchmark(bench(), { ...o, prompt_template: "{problem}" });
  assert.ok(calls.length > k);
});

test("a checkpoint's fingerprint changes when its weights are rewritten, not when optimizer state or an ONNX export is", () => {
  const dir = path.join(tmp(), "step-20");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "config.json"), "{}");
  writeFileSync(path.join(dir, "model.safetensors"), "weights");
  const a = modelFingerprint(dir);
  writeFileSync(path.join(dir, "engine_state.pt"), "optimizer");
  assert.equal(modelFingerprint(dir), a);
  // An ONNX export cached beside the weights (oneshot try) is not a change of the model.
  mkdirSync(path.join(dir, "onnx-fp32"));
  writeFileSync(path.join(dir, "onnx-fp32", "config.json"), "{}");
  writeFileSync(path.join(dir, "onnx-fp32", "oneshot_export.json"), "{}");
  assert.equal(modelFingerprint(dir), a);
  writeFileSync(path.join(dir, "model.safetensors"), "weights2");
  utimesSync(path.join(dir, "model.safetensors"), new Date(), new Date(Date.now() + 5000));
  assert.notEqual(modelFingerprint(dir), a);
  assert.equal(modelFingerprint("Qwen/Qwen2.5-Math-1.5B"), "id:Qwen/Qwen2.5-Math-1.5B");
});

test("the training subset is the same problems every time, spread over the set, in dataset order", () => {
  const many = Array.from({ length: 200 }, (_, i) => ({ id: `q${i}`, problem: "x", answer: "1" }));
  const a = subsetOf(many, 20);
  assert.equal(a.length, 20);
  assert.deepEqual(subsetOf([...many].reverse(), 20).map((p) => p.id).sort(), a.map((p) => p.id).sort());
  assert.ok(a.some((p) => Number(p.id.slice(1)) >= 100), "not just the first rows");
  assert.deepEqual(a.map((p) => Number(p.id.slice(1))), [...a.map((p) => Number(p.id.slice(1)))].sort((x, y) => x - y));
  assert.equal(subsetOf(many, 0).length, 200);
});

test("subset evaluation and the eval event: n, metric, breakdown, results path relative to the run", async () => {
  const dir = tmp();
  const { backend } = scriptedBackend(evenSolver);
  const out = await evaluateBenchmark(bench(), { backend, verifier: mathVerifier, subset: 4, resultsFile: runResultsFile(dir, "toy", 20) });
  assert.equal(out.n, 4);
  const ev = evalEvent(out, 20, dir);
  assert.equal(ev.type, "eval");
  assert.equal(ev.step, 20);
  assert.equal(ev.results_file, "evals/toy/step-20.jsonl");
  assert.equal(ev.metric, "acc");
});

test("flips list problems that became right or wrong between two evaluations", () => {
  const r = (id: string, score: number) => ({ id, problem: "", answer: "", samples: 1, correct: score, score, responses: [] });
  const { gained, lost } = flips([r("a", 0), r("b", 1), r("c", 1)], [r("a", 1), r("b", 0), r("c", 1), r("d", 1)]);
  assert.deepEqual(gained, [{ id: "a", before: 0, after: 1 }]);
  assert.deepEqual(lost, [{ id: "b", before: 1, after: 0 }]);
  assert.deepEqual(summarize([]), { value: 0, n: 0 });
});

test("a prompt cache formats each problem once across evaluations; template and stop strings reach the engine", async () => {
  const { backend, calls } = scriptedBackend(evenSolver);
  let formatted = 0;
  const counting = { ...backend, formatPrompt: (p: Parameters<typeof backend.formatPrompt>[0]) => (formatted++, backend.formatPrompt(p)) };
  const promptCache = new Map<string, string>();
  const o = { backend: counting, verifier: mathVerifier, promptCache, stop: ["</s>"], prompt_template: "{system}\n{problem}" };
  await evaluateBenchmark(bench(), o);
  await evaluateBenchmark(bench(), o);
  assert.equal(formatted, 10);
  assert.deepEqual(calls[0]!.stop, ["</s>"]);
});
