import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { collectReport, summarizePoints } from "../../../src/core/report/collect";
import { runResults } from "../../../src/core/report/results";
import { paperResultsFor } from "../../../src/core/report/paper";
import { niceTicks, lineChart } from "../../../src/core/report/svg";
import { writeReport } from "../../../src/core/report/index";
import { writeFixtureRun } from "./fixtureRun";

const tmp = () => mkdtempSync(path.join(tmpdir(), "report-"));

test("a finished run gets report.md and report.html with before/after for all six benchmarks", () => {
  const run = writeFixtureRun(path.join(tmp(), "20260101-pi1"));
  const r = writeReport(run);
  const md = readFileSync(r.markdown, "utf8");
  const html = readFileSync(r.html, "utf8");
  assert.match(md, /^# One-Shot RLVR report: 20260101-pi1/);
  // summary.json's MATH500 row: 36.0 at step 0, final at step 200.
  assert.match(md, /\| MATH500 \| acc \| 500 \| 36\.0 \| 69\.0 \(step 200\) \| 69\.0 \(step 200\) \| \+33\.0 \|/);
  for (const b of ["AIME24", "AIME25", "AMC23", "Minerva Math", "OlympiadBench", "Average of the six"]) assert.ok(md.includes(`| ${b} |`), b);
  assert.match(md, /\| AIME24 \| avg@8 \| 30 \| 6\.7 \|/);
  for (const a of r.assets) assert.ok(existsSync(a) && readFileSync(a, "utf8").startsWith("<svg"), a);
  assert.match(md, /!\[Benchmark accuracy during training\]\(report-assets\/benchmarks\.svg\)/);
  assert.equal((html.match(/<svg /g) ?? []).length, r.assets.length);
  assert.ok(!html.includes("<script"));
});

test("for a model the paper used, its reported numbers and their source sit beside the run's", () => {
  const run = writeFixtureRun(path.join(tmp(), "run"));
  const md = readFileSync(writeReport(run).markdown, "utf8");
  assert.match(md, /### The paper's numbers for Qwen2\.5-Math-1\.5B/);
  assert.match(md, /\| MATH500 \| 36\.0 \| 73\.6 \| 36\.0 \| 69\.0 \|/);
  assert.match(md, /\| Average of the six \| 17\.6 \| 35\.7 \|/);
  assert.match(md, /arXiv:2504\.20571/);
  assert.match(md, /https:\/\/arxiv\.org\/abs\/2504\.20571/);
  const other = writeFixtureRun(path.join(tmp(), "other"), { model: "examples/models/tiny-math" });
  assert.doesNotMatch(readFileSync(writeReport(other).markdown, "utf8"), /paper's numbers/);
  assert.equal(paperResultsFor("/models/Qwen2.5-Math-1.5B/")?.model, "Qwen2.5-Math-1.5B");
  assert.equal(paperResultsFor("Qwen/Qwen2.5-Math-1.5B-Instruct"), undefined);
});

test("problems that flipped between the first and last evaluation are listed", () => {
  const run = writeFixtureRun(path.join(tmp(), "run"));
  const md = readFileSync(writeReport(run).markdown, "utf8");
  assert.match(md, /MATH500, step 0 → step 200: 3 now right, 1 now wrong\./);
  assert.match(md, /Now right: test/);
});

test("the report and the dashboard's Results tab give the per-sub-skill before/after table and the flipped problems", () => {
  const run = writeFixtureRun(path.join(tmp(), "run"));
  const md = readFileSync(writeReport(run).markdown, "utf8");
  assert.match(md, /### By sub-skill\n\n\| Benchmark \| Sub-skill \| n \| Step 0 \(%\) \| Step 200 \(%\) \| Change \(points\) \|/);
  assert.match(md, /\| MATH500 \| Algebra \| 124 \| 50\.0 \| 90\.0 \| \+40\.0 \|/);
  const r = runResults(collectReport(run));
  assert.equal(r.firstStep, 0);
  assert.equal(r.lastStep, 200);
  assert.deepEqual(
    r.rows.filter((x) => x.benchmark === "math500").map((x) => [x.group, x.n, x.before, x.after]),
    [["all", 500, 0.36, r.rows[0]!.after], ["Algebra", 124, 0.5, 0.9], ["Geometry", 41, 0.25, 0.4]],
  );
  assert.equal(r.rows.filter((x) => x.group === "all").length, 6);
  assert.deepEqual(r.flips, [{ benchmark: "math500", from: 0, to: 200, gained: ["test/p4.json", "test/p5.json", "test/p6.json"], lost: ["test/p7.json"] }]);
});

test("a run without summary.json or evaluations still reports; a folder without events is one sentence", () => {
  const dir = tmp();
  writeFileSync(path.join(dir, "events.jsonl"), '{"v":1,"t":1,"type":"log","level":"info","message":"hi"}\n');
  const md = readFileSync(writeReport(dir).markdown, "utf8");
  assert.match(md, /The run recorded no evaluation\./);
  assert.throws(() => writeReport(tmp()), /is not a run directory \(it has no events\.jsonl\)/);
});

test("summaries from eval points: initial only when step 0 was evaluated; best is the earliest maximum", () => {
  assert.deepEqual(
    summarizePoints("acc", [
      { step: 0, value: 0.3, n: 5 },
      { step: 20, value: 0.6, n: 5 },
      { step: 40, value: 0.6, n: 5 },
      { step: 60, value: 0.5, n: 5 },
    ]),
    { metric: "acc", n: 5, initial: 0.3, best: 0.6, best_step: 20, final: 0.5, final_step: 60 },
  );
  assert.equal(summarizePoints("acc", [{ step: 20, value: 0.6, n: 5 }]).initial, null);
  // A subset evaluation (n=2) scoring higher is not the best.
  const s = summarizePoints("acc", [
    { step: 0, value: 0.3, n: 5 },
    { step: 10, value: 0.9, n: 2 },
    { step: 20, value: 0.5, n: 5 },
  ]);
  assert.equal(s.best_step, 20);
  assert.deepEqual(niceTicks(1, 4, 6, true), [1, 2, 3, 4]);
});

test("charts: round ticks, escaped labels, no data drawn as a note", () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 100), [0, 20, 40, 60, 80, 100]);
  const svg = lineChart([{ name: "a<b", points: [{ x: 0, y: 1 }, { x: 1, y: 2 }] }], { title: "T & U" });
  assert.match(svg, /a&lt;b/);
  assert.match(svg, /T &amp; U/);
  assert.match(svg, /<path d="M/);
  assert.match(lineChart([], { title: "empty" }), /no data/);
});
