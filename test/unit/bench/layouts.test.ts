// The one dataset reader on files in every layout it accepts (test/fixtures/datasets, made by
// make.py there): the editor's picker and benchmark loading (`oneshot eval`, `oneshot rank`,
// eval_benchmarks) read each with every row's problem and answer, and alike.
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { readDataset } from "../../../src/core/authoring/dataset";
import { problemPickItems } from "../../../src/core/authoring/pickItems";
import { hubOptionsFromEnv } from "../../../src/core/bench/hub";
import { loadBenchmark } from "../../../src/core/bench/load";
import { stripTrailingInstruction } from "../../../src/core/bench/rowShape";
import { tmp } from "./fixtures";

const FIXTURES = path.resolve("test/fixtures/datasets");
const PI1 =
  "The pressure \\( P \\) exerted by wind on a sail varies jointly as the area \\( A \\) of the sail and the cube of the wind's velocity \\( V \\). When the velocity is \\( 8 \\) miles per hour, the pressure on a sail of \\( 2 \\) square feet is \\( 4 \\) pounds. Find the wind velocity when the pressure on \\( 4 \\) square feet of sail is \\( 32 \\) pounds.";
const VERL = [
  ["17", PI1, "12.8"],
  ["3", "How many primes are below $10$?", "4"],
  ["42", "Compute $\\frac{1}{2}+\\frac{1}{3}$.", "\\frac{5}{6}"],
];
const EXPECTED: Record<string, string[][]> = {
  "plain.jsonl": [
    ["test/algebra/1.json", "What is $1+1$?", "2"],
    ["test/geometry/2.json", "Area of a unit square?", "1"],
    ["test/algebra/3.json", "Solve $2x=7$.", "\\frac{7}{2}"],
  ],
  "verl.jsonl": VERL,
  "verl.parquet": VERL,
  "olympiad.parquet": [
    ["2231", "Find $x$ and $y$.", "3, 5"],
    ["2232", "What wind speed, in mph?", "12.8"],
  ],
};

for (const [name, rows] of Object.entries(EXPECTED)) {
  test(`${name}: the picker lists every row with its problem, answer and id`, async () => {
    const ds = await readDataset(path.join(FIXTURES, name));
    assert.equal(ds.skipped, 0);
    assert.deepEqual(
      ds.problems.map((p) => [p.id, p.problem, p.answer]),
      rows,
    );
    const items = problemPickItems(ds.problems);
    assert.deepEqual(
      items.map((i) => i.description),
      rows.map(([, , answer]) => `answer: ${answer}`),
    );
    assert.ok(items.every((i, n) => i.label.startsWith(`#${n + 1}  ${rows[n]![1]!.slice(0, 20)}`)));
  });

  test(`${name}: benchmark loading reads every row with its problem, answer and id`, async () => {
    const dir = tmp();
    const b = await loadBenchmark(path.join(FIXTURES, name), { root: dir, cwd: dir, hub: hubOptionsFromEnv({}, { cacheDir: dir }) });
    assert.deepEqual(
      b.problems.map((p) => [p.id, p.problem, p.answer]),
      rows,
    );
  });
}

test("verl rows: the struct columns' other fields show as short extras; the system turn is not the problem", async () => {
  const ds = await readDataset(path.join(FIXTURES, "verl.parquet"));
  assert.deepEqual(ds.problems[1]!.extra, { data_source: "fixture", ability: "math", "reward_model.style": "rule", "extra_info.split": "train" });
  assert.equal(ds.problemColumn, "prompt");
  assert.equal(ds.answerColumn, "reward_model.ground_truth");
});

test("the known trailing instructions are removed, once or repeated; others and mid-text ones stay", () => {
  const q = "Find $x$.";
  for (const tail of [
    " Let's think step by step and output the final answer within \\boxed{}.",
    " Let’s think step by step and output the final answer within \\boxed{}",
    "\nPlease reason step by step, and put your final answer within \\boxed{}.",
    "\nPlease output the final answer within \\boxed{}.",
    " Put your final answer within \\boxed{{}}.",
    " Let's think step by step and output the final answer within \\boxed{}. Let's think step by step and output the final answer within \\boxed{}.",
  ]) {
    assert.equal(stripTrailingInstruction(q + tail), q, JSON.stringify(tail));
  }
  assert.equal(stripTrailingInstruction(`${q} Give your answer in lowest terms.`), `${q} Give your answer in lowest terms.`);
  const mid = "Please reason step by step, and put your final answer within \\boxed{}. Then find $x$.";
  assert.equal(stripTrailingInstruction(mid), mid);
  const only = "Please reason step by step, and put your final answer within \\boxed{}.";
  assert.equal(stripTrailingInstruction(only), only);
});
