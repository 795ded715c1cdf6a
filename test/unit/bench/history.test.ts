// `oneshot rank --history`: the paper's historical-variance selection from per-epoch accuracies.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { problemPickItems } from "../../../src/core/authoring/pickItems";
import { readDataset } from "../../../src/core/authoring/dataset";
import { readRanking, sortByRanking } from "../../../src/core/authoring/ranking";
import { HistoryError, limScores, parseHistory, rankByHistory, std } from "../../../src/core/bench/history";
import { captureCli } from "../cliContext";

const FIXTURES = path.resolve("test/fixtures/datasets");
const problems = ["flat", "swing", "rise", "unseen"].map((id) => ({ id, problem: `problem ${id}`, answer: "1" }));

test("the problem whose accuracy varied most ranks first; problems without history come last", () => {
  const history = parseHistory(JSON.stringify({ flat: [1, 1, 1, 1], rise: [0, 0.25, 0.5, 0.75], swing: [0, 1, 0, 1] }), "h.json");
  const { ranked, missing } = rankByHistory(problems, history, "std");
  assert.deepEqual(
    ranked.map((r) => [r.rank, r.id, r.epochs, r.score === null ? null : Number(r.score.toFixed(4)), r.score_name]),
    [
      [1, "swing", 4, 0.5, "std"],
      [2, "rise", 4, 0.2795, "std"],
      [3, "flat", 4, 0, "std"],
      [4, "unseen", 0, null, "std"],
    ],
  );
  assert.equal(missing, 1);
  // numpy's np.std: the population standard deviation
  assert.equal(std([0, 1]), 0.5);
});

test("lim: 1 − Σ(a−ā)² / Σ(1−ā)² over the epochs every problem has, as the paper's code computes it", () => {
  const scores = limScores(new Map([["a", [0, 0.5]], ["b", [1, 1, 1]], ["c", [0, 0]]]));
  assert.deepEqual([...scores].map(([id, s]) => [id, Number(s.toFixed(6))]), [["a", 0.84], ["b", 0], ["c", 0.48]]);
  assert.throws(() => limScores(new Map([["a", [1, 1]]])), /lim score is undefined when every problem was solved in every epoch/);
});

test("JSON Lines of {id, accuracies} read like the JSON object; malformed files are one sentence", () => {
  const lines = '{"id": 17, "accuracies": [0, 0.5]}\n{"id": "3", "accuracies": []}\n';
  assert.deepEqual([...parseHistory(lines, "h.jsonl")], [["17", [0, 0.5]], ["3", []]]);
  const says = (text: string, message: string) =>
    assert.throws(() => parseHistory(text, "h.json"), (e: Error) => e instanceof HistoryError && e.message === message);
  says("[1, 2]", 'h.json is not a JSON object mapping problem ids to lists of accuracies, or JSON Lines of {"id", "accuracies"}.');
  says("{}", 'h.json holds no accuracies: it should be a JSON object mapping problem ids to lists of accuracies, or JSON Lines of {"id", "accuracies"}.');
  says('{"17": [0.5, "high"]}', `h.json: the accuracies of '17' must be a list of numbers between 0 and 1, not [0.5,"high"].`);
  says('{"17": [50, 75]}', "h.json: the accuracies of '17' must be a list of numbers between 0 and 1, not [50,75].");
  says('{"id": 1, "accuracies": [0]}\nnope\n', 'h.json line 2 is not valid JSON: the file should be a JSON object mapping problem ids to lists of accuracies, or JSON Lines of {"id", "accuracies"}.');
  says('{"id": 1, "accuracies": [0]}\n{"index": 2}\n', 'h.json line 2 needs an "id" and a list of "accuracies".');
  says('{"id": 1, "accuracies": [0]}\n{"id": "1", "accuracies": [1]}\n', "h.json line 2 repeats the id '1'.");
});

function workdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-history-"));
  copyFileSync(path.join(FIXTURES, "verl.parquet"), path.join(dir, "verl.parquet"));
  return dir;
}

async function run(dir: string, ...args: string[]) {
  const c = captureCli({ cwd: dir, env: { ONESHOT_CACHE_DIR: path.join(dir, "cache") } });
  const code = await main(args, c);
  return { code, out: c.out(), err: c.err() };
}

test("oneshot rank --history ranks a verl dataset by extra_info.index, writes the score's name, and the picker's list follows it", async () => {
  const dir = workdir();
  // ids are verl's extra_info.index; 42 has no history
  writeFileSync(path.join(dir, "acc.json"), JSON.stringify({ "3": [1, 1, 1], "17": [0, 0.5, 1], "999": [0, 0, 0] }));
  const r = await run(dir, "rank", "verl.parquet", "--history", "acc.json");
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n");
  assert.match(lines[0]!, /^rank\s+id\s+epochs\s+std\s+problem$/);
  assert.match(lines[1]!, /^1\s+17\s+3\s+0\.408\s+The pressure/);
  assert.match(lines[2]!, /^2\s+3\s+3\s+0\.000\s+How many primes/);
  assert.match(lines[3]!, /^3\s+42\s+0\s+—\s+Compute/);
  assert.match(r.out, /Ranked by the standard deviation of each problem's training accuracy per epoch \(acc\.json\)\. 1 of 3 problems have no history and are listed last\. Ranking: verl\.ranked\.jsonl\n$/);
  const written = readFileSync(path.join(dir, "verl.ranked.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; score_name: string; score: number | null });
  assert.deepEqual(written.map((w) => [w.id, w.score_name]), [["17", "std"], ["3", "std"], ["42", "std"]]);
  assert.equal(written[2]!.score, null);

  // `oneshot new --list` and the picker find the ranking beside the dataset and list best first
  const listed = await run(dir, "new", "verl.parquet", "--list");
  assert.match(listed.out.split("\n")[0]!, /^rank\s+std\s+row\s+id\s+answer\s+problem$/);
  assert.deepEqual(listed.out.split("\n").slice(1, 4).map((l) => l.split(/\s+/).slice(0, 4)), [["1", "0.408", "1", "17"], ["2", "0.000", "2", "3"], ["3", "—", "3", "42"]]);
  const ds = await readDataset(path.join(dir, "verl.parquet"));
  const ranking = await readRanking(path.join(dir, "verl.ranked.jsonl"));
  const items = problemPickItems(sortByRanking(ds.problems, ranking), ranking);
  assert.deepEqual(items.map((i) => i.problem.id), ["17", "3", "42"]);
  assert.equal(items[0]!.description, "answer: 12.8 · rank 1 (std 0.408)");

  const lim = await run(dir, "rank", "verl.parquet", "--history", "acc.json", "--score", "lim", "--out", "lim.jsonl");
  assert.equal(lim.code, 0, lim.err);
  assert.match(lim.out, /^rank\s+id\s+epochs\s+lim\s+problem$/m);
});

test("oneshot rank --history: a malformed or unmatched history file and bad options are one sentence", async () => {
  const dir = workdir();
  writeFileSync(path.join(dir, "bad.json"), '{"17": "high"}');
  assert.deepEqual(await run(dir, "rank", "verl.parquet", "--history", "bad.json"), {
    code: 1,
    out: "",
    err: "oneshot rank: bad.json: the accuracies of '17' must be a list of numbers between 0 and 1, not \"high\".\n",
  });
  writeFileSync(path.join(dir, "other.json"), JSON.stringify({ a: [0, 1], b: [1, 1] }));
  const unmatched = await run(dir, "rank", "verl.parquet", "--history", "other.json");
  assert.equal(unmatched.err, "oneshot rank: no problem of verl has history in other.json: the dataset's ids are 17, 3, 42 and the history's a, b.\n");
  assert.match((await run(dir, "rank", "verl.parquet", "--history", "missing.json")).err, /^oneshot rank: history file not found: .*missing\.json\n$/);
  assert.match((await run(dir, "rank", "verl.parquet", "--history", "other.json", "--score", "var")).err, /^oneshot rank: --score must be std or lim, not 'var'\. Run/);
  assert.match((await run(dir, "rank", "verl.parquet", "--score", "std", "--model", "m")).err, /^oneshot rank: --score chooses a history score: give --history FILE too\. Run/);
});
