import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { DatasetError, readDataset } from "../../../src/core/authoring/dataset";
import { problemPickItems } from "../../../src/core/authoring/pickItems";

const dir = mkdtempSync(path.join(tmpdir(), "dataset-"));
const file = (name: string, content: string | ArrayBuffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : Buffer.from(content));
  return p;
};

test("JSON Lines: problem, answer and id columns are found; blank problems are skipped", async () => {
  const p = file(
    "a.jsonl",
    [
      JSON.stringify({ problem: "What is $1+1$?", answer: "2", level: "Level 1", unique_id: "x/1" }),
      JSON.stringify({ problem: "  ", answer: "3" }),
      "",
      JSON.stringify({ problem: "Compute $\\frac{1}{2}+\\frac{1}{2}$.", answer: 1 }),
    ].join("\n"),
  );
  const ds = await readDataset(p);
  assert.equal(ds.problemColumn, "problem");
  assert.equal(ds.answerColumn, "answer");
  assert.equal(ds.skipped, 1);
  assert.deepEqual(
    ds.problems.map((x) => [x.row, x.id, x.problem, x.answer]),
    [
      [0, "x/1", "What is $1+1$?", "2"],
      [2, "2", "Compute $\\frac{1}{2}+\\frac{1}{2}$.", "1"],
    ],
  );
  assert.deepEqual(ds.problems[0].extra, { level: "Level 1" });
});

test("JSON Lines: a line that is not JSON is named by its number rather than skipped", async () => {
  await assert.rejects(readDataset(file("bad.jsonl", '{"problem": "a", "answer": "1"}\nnot json\n')), (e: Error) => {
    assert.ok(e instanceof DatasetError);
    assert.equal(e.message, "bad.jsonl line 2 is not valid JSON");
    return true;
  });
});

test("JSON Lines: the answer comes from the solution's last \\boxed{} when there is no answer column", async () => {
  const p = file("b.jsonl", JSON.stringify({ question: "Q?", solution: "First \\boxed{1}, then \\boxed{\\frac{7}{2}}." }) + "\n");
  const ds = await readDataset(p);
  assert.equal(ds.problemColumn, "question");
  assert.equal(ds.answerColumn, null);
  assert.equal(ds.problems[0].answer, "\\frac{7}{2}");
});

test("Parquet: rows are read with hyparquet", async () => {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: "problem", data: ["Find $x$ if $2x=6$.", "How many primes are below 10?"], type: "STRING" },
      { name: "answer", data: ["3", "4"], type: "STRING" },
      { name: "level", data: [1, 2], type: "INT32" },
    ],
  });
  const ds = await readDataset(file("c.parquet", buf));
  assert.deepEqual(
    ds.problems.map((x) => [x.problem, x.answer, x.extra.level]),
    [
      ["Find $x$ if $2x=6$.", "3", "1"],
      ["How many primes are below 10?", "4", "2"],
    ],
  );
});

test("a file with no problem column, a corrupt parquet file and an unknown extension are readable errors", async () => {
  await assert.rejects(readDataset(file("d.jsonl", '{"text": "hi"}\n')), (e: Error) => {
    assert.ok(e instanceof DatasetError);
    assert.equal(e.message, "d.jsonl: no problem field found: expected one of problem/question/prompt/input/query among text");
    return true;
  });
  const says = (re: RegExp) => (e: Error) => e instanceof DatasetError && re.test(e.message);
  await assert.rejects(readDataset(file("e.parquet", "PAR1 garbage")), says(/^e\.parquet could not be read as parquet/));
  await assert.rejects(readDataset(file("f.csv", "a,b")), says(/^f\.csv is not a dataset file: use \.jsonl, \.json or \.parquet$/));
  await assert.rejects(readDataset(path.join(dir, "missing.jsonl")), says(/^Cannot read missing\.jsonl: ENOENT/));
});

test("a truncated solution gives no answer rather than a wrong one", async () => {
  const p = file("g.jsonl", JSON.stringify({ problem: "Q?", solution: "So \\boxed{1} and then \\boxed{2" }) + "\n");
  assert.equal((await readDataset(p)).problems[0].answer, null);
});

test("quick-pick items show the row, a one-line problem, the answer and short fields", () => {
  const [item] = problemPickItems([
    { row: 4, id: "7", problem: "Line one\n\nline two", answer: "\\frac{7}{2}", extra: { subject: "Algebra" } },
  ]);
  assert.equal(item.label, "#5  Line one line two");
  assert.equal(item.description, "answer: \\frac{7}{2}");
  assert.equal(item.detail, "id: 7 · subject: Algebra");
  const [long] = problemPickItems([{ row: 0, id: "0", problem: "x".repeat(300), answer: null, extra: {} }]);
  assert.ok(long.label.endsWith("…") && long.label.length <= 95);
  assert.equal(long.description, "no answer");
});
