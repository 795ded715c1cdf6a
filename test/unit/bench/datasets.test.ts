import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { referenceAnswer } from "../../../src/core/bench/answers";
import { rowsToProblems } from "../../../src/core/bench/fields";
import { readRows } from "../../../src/core/bench/files";
import { hubOptionsFromEnv } from "../../../src/core/bench/hub";
import { BenchmarkError, benchmarkNameFor, loadBenchmark, parseHubRef } from "../../../src/core/bench/load";
import { sampleRows, tmp, writeJsonl, writeParquet } from "./fixtures";

const opts = (dir: string) => ({ root: dir, cwd: dir, hub: hubOptionsFromEnv({}, { cacheDir: path.join(dir, "cache") }) });

test("worked solutions give their last \\boxed{} (nested braces) or GSM8K '####' answer", () => {
  assert.equal(referenceAnswer("first \\boxed{1} then \\boxed{\\frac{a}{b^{2}}} end"), "\\frac{a}{b^{2}}");
  assert.equal(referenceAnswer("no box here"), "no box here");
  assert.equal(referenceAnswer("unclosed \\boxed{1"), null);
  assert.equal(referenceAnswer("So $x = \\boxed{42}$."), "42");
  assert.equal(referenceAnswer("Janet sells 16 - 3 - 4 = 9 eggs.\n#### 1,018"), "1018");
  assert.equal(referenceAnswer(["3", "5"]), "3, 5");
  assert.equal(referenceAnswer(204n), "204");
  assert.equal(referenceAnswer("  "), null);
});

test("fields are found by the usual names, case-insensitively, and answers fall back to worked solutions", () => {
  const { problems, skipped } = rowsToProblems([
    { ID: "2024-I-1", Problem: "p1", Answer: 204 },
    { ID: "2024-I-2", Problem: "p2", Answer: null, Solution: "so \\boxed{25}" },
    { ID: "2024-I-3", Problem: "", Answer: 3 },
  ]);
  assert.deepEqual(problems, [
    { id: "2024-I-1", problem: "p1", answer: "204" },
    { id: "2024-I-2", problem: "p2", answer: "25" },
  ]);
  assert.equal(skipped, 1);
});

test("named fields must exist; the error lists the fields the dataset has", () => {
  assert.throws(() => rowsToProblems([{ q: "x", a: "1" }], { problem: "question" }), /no field 'question' \(its fields are q, a\)/);
  assert.throws(() => rowsToProblems([{ q: "x", a: "1" }]), /no problem field found/);
});

test("JSONL, JSON (array or {test: [...]}) and parquet files read to the same problems", async () => {
  const dir = tmp();
  const jsonl = writeJsonl(path.join(dir, "a.jsonl"), sampleRows);
  const json = path.join(dir, "b.json");
  writeFileSync(json, JSON.stringify({ test: sampleRows }));
  const parquet = writeParquet(path.join(dir, "c.parquet"), sampleRows);
  const expected = rowsToProblems(sampleRows).problems;
  for (const f of [jsonl, json, parquet]) {
    assert.deepEqual(rowsToProblems(await readRows(f)).problems, expected, f);
  }
  assert.equal(expected[2]!.answer, "\\frac{7}{2}");
  assert.equal(expected[0]!.skill, "Algebra");
});

test("parquet int64 and list columns (AIME ids, OlympiadBench final_answer) become text", async () => {
  const dir = tmp();
  const f = writeParquet(path.join(dir, "o.parquet"), [
    { id: 7, question: "Find x and y.", final_answer: ["3", "5"] },
    { id: 8, question: "Find z.", final_answer: ["$\\sqrt{2}$"] },
  ]);
  const { problems } = rowsToProblems(await readRows(f), { problem: "question", answer: "final_answer" });
  assert.deepEqual(problems.map((p) => [p.id, p.answer]), [["7", "3, 5"], ["8", "$\\sqrt{2}$"]]);
});

test("a bad JSONL line is reported by number", async () => {
  const dir = tmp();
  const f = path.join(dir, "bad.jsonl");
  writeFileSync(f, '{"problem":"a","answer":"1"}\n{oops\n');
  const b = loadBenchmark(f, opts(dir));
  await assert.rejects(b, (e: Error) => e instanceof BenchmarkError && /bad\.jsonl line 2 is not valid JSON/.test(e.message));
});

test("a local file loads as a greedy benchmark named after the file; overrides apply", async () => {
  const dir = tmp();
  writeJsonl(path.join(dir, "My Set.jsonl"), sampleRows);
  const b = await loadBenchmark({ dataset: "My Set.jsonl", samples: 4, limit: 2 }, opts(dir));
  assert.equal(b.name, "my-set");
  assert.equal(b.problems.length, 2);
  assert.equal(b.settings.samples, 4);
  assert.equal(b.settings.temperature, 0.6);
  assert.equal(b.settings.max_new_tokens, 3072);
});

test("the synthetic preset reads the built-in file under the project root", async () => {
  const dir = tmp();
  const { mkdirSync } = await import("node:fs");
  mkdirSync(path.join(dir, "examples", "bench"), { recursive: true });
  writeJsonl(path.join(dir, "examples", "bench", "synthetic.jsonl"), [{ id: "s1", problem: "2+3=?", answer: "5", skill: "add" }]);
  const b = await loadBenchmark("synthetic", { ...opts(dir), cwd: "/" });
  assert.equal(b.name, "synthetic");
  assert.deepEqual(b.problems, [{ id: "s1", problem: "2+3=?", answer: "5", skill: "add" }]);
  assert.equal(b.settings.samples, 1);
});

test("hub refs parse owner/name, :config and @split; other strings are not hub ids", () => {
  assert.deepEqual(parseHubRef("math-ai/aime25"), { id: "math-ai/aime25", config: undefined, split: undefined });
  assert.deepEqual(parseHubRef("Hothan/OlympiadBench:OE_TO_maths_en_COMP@train"), {
    id: "Hothan/OlympiadBench",
    config: "OE_TO_maths_en_COMP",
    split: "train",
  });
  assert.equal(parseHubRef("just-a-name"), undefined);
  assert.equal(parseHubRef("a/b/c"), undefined);
});

test("an unknown name is one sentence listing the presets", async () => {
  await assert.rejects(loadBenchmark("nonsense", opts(tmp())), /'nonsense' is not a benchmark preset, a dataset file or a hub id \(presets: math500/);
});

test("benchmark entries from settings or front matter: strings, objects with overrides, one-sentence errors", async () => {
  const { parseBenchmarkSpec } = await import("../../../src/core/bench/specs");
  assert.deepEqual(parseBenchmarkSpec("math500"), { dataset: "math500" });
  assert.deepEqual(parseBenchmarkSpec({ dataset: "./mine.parquet", samples: 8, fields: { problem: "q", answer: "a" } }), {
    dataset: "./mine.parquet",
    samples: 8,
    fields: { problem: "q", answer: "a" },
  });
  assert.equal(parseBenchmarkSpec({ dataset: "x", samples: 0.5 }), "'samples' must be a whole number ≥ 1");
  assert.equal(parseBenchmarkSpec({ dataset: "x", fields: { question: "q" } }), "'fields' has an unknown key 'question' (known: problem, answer, solution, id, skill)");
  assert.equal(parseBenchmarkSpec({ path: "x" }), "a benchmark object needs 'dataset' (a preset, file, URL or hub id)");
});

test("a bare name finds the project's examples/bench/NAME.jsonl", async () => {
  const dir = tmp();
  const { mkdirSync } = await import("node:fs");
  mkdirSync(path.join(dir, "examples", "bench"), { recursive: true });
  writeJsonl(path.join(dir, "examples", "bench", "tiny.jsonl"), [{ problem: "2+2?", answer: "4" }]);
  const b = await loadBenchmark("tiny", { ...opts(dir), cwd: "/" });
  assert.equal(b.name, "tiny");
  assert.equal(b.fromPreset, false);
  assert.deepEqual(b.problems, [{ id: "0", problem: "2+2?", answer: "4" }]);
});

test("the shipped synthetic benchmark loads through its preset: 320 problems in four skills, greedy", async () => {
  const root = path.resolve(".");
  const b = await loadBenchmark("synthetic", { root, cwd: tmp(), hub: hubOptionsFromEnv({}, { cacheDir: tmp() }) });
  assert.equal(b.problems.length, 320);
  assert.deepEqual([...new Set(b.problems.map((p) => p.skill))].sort(), ["arithmetic", "equations", "fractions", "rates"]);
  assert.equal(b.problems[0]!.id, "synthetic-0000");
  assert.equal(b.settings.samples, 1);
});

test("the name a reference loads under is known before loading", () => {
  assert.equal(benchmarkNameFor("MATH500"), "math500");
  assert.equal(benchmarkNameFor("bench/My Set.jsonl"), "my-set");
  assert.equal(benchmarkNameFor("math-ai/aime25:default@test"), "aime25");
  assert.equal(benchmarkNameFor("tiny"), "tiny");
});
