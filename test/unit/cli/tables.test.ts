// The CLI's tables, byte for byte: they share one formatter (src/core/text/table.ts), and a
// change there must not move a column of any of them (the fourth, `oneshot train`'s before/after
// table, is pinned in test/unit/run/evalTable.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EvalOutcome } from "../../../src/core/bench/evaluation";
import type { RankedProblem } from "../../../src/core/bench/rank";
import { formatOutcomes } from "../../../src/cli/commands/eval";
import { formatRanked } from "../../../src/cli/commands/rank";
import { formatRuns, type RunListing } from "../../../src/cli/commands/runs";

test("oneshot runs: left-aligned columns, the last one unpadded, notes below", () => {
  const runs: RunListing[] = [
    { dir: "/r/a", id: "20260101-120000-tiny", status: "completed", step: 40, total_steps: 40, reward_mean: 0.8125, best: { benchmark: "synthetic", metric: "acc", value: 0.75, step: 40 } },
    { dir: "/r/b", id: "b", status: "unreadable", step: 0, problem: "events.jsonl: line 3 is not JSON" },
    { dir: "/r/c", id: "c-run", status: "interrupted", step: 7, total_steps: 100, reward_mean: 0 },
  ];
  assert.equal(
    formatRuns(runs),
    [
      "RUN                   STATUS       STEP   REWARD  BEST EVAL",
      "20260101-120000-tiny  completed    40/40  0.813   synthetic 75.0% @40",
      "b                     unreadable   0/?    –       –",
      "c-run                 interrupted  7/100  0.000   –",
      "",
      "b: events.jsonl: line 3 is not JSON",
      "",
    ].join("\n"),
  );
});

test("oneshot eval: counts and scores right-aligned, no trailing spaces", () => {
  const outcome = (benchmark: string, n: number, value: number, cached: boolean, time_s: number): EvalOutcome => ({ benchmark, metric: "acc", n, value, results: [], cached, time_s });
  assert.equal(
    formatOutcomes([outcome("math500", 500, 0.364, false, 1234.56), outcome("synthetic", 32, 1, true, 0)]),
    [
      "benchmark             metric    n   score  time",
      "MATH500               acc     500   36.4%  1234.6 s",
      "Synthetic (built-in)  acc      32  100.0%  cached",
      "",
    ].join("\n"),
  );
});

test("oneshot rank: the problem excerpt last and unpadded", () => {
  const ranked = (rank: number, id: string, correct: number, problem: string): RankedProblem => ({ rank, id, problem, answer: "1", k: 8, correct, p: correct / 8, score: (correct / 8) * (1 - correct / 8), score_name: "p(1-p)" });
  assert.equal(
    formatRanked([ranked(1, "p-17", 4, "Solve  x^2 = 4\nfor x > 0."), ranked(2, "p-3", 3, "A".repeat(70)), ranked(3, "p-4", 0, "dropped by --top")], 2),
    [
      "rank  id    solved  p(1-p)  problem",
      "1     p-17  4/8     0.250   Solve x^2 = 4 for x > 0.",
      `2     p-3   3/8     0.234   ${"A".repeat(59)}…`,
      "",
    ].join("\n"),
  );
});
