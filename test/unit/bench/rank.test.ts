import assert from "node:assert/strict";
import { test } from "node:test";
import { rankByVariance } from "../../../src/core/bench/rank";
import { scoreProblems } from "../../../src/core/bench/runner";
import { AVG_AT_8 } from "../../../src/core/bench/presets";
import { mathVerifier, scriptedBackend } from "./fakes";

test("problems the model sometimes solves rank above ones it always or never solves", async () => {
  const problems = [
    { id: "always", problem: "always", answer: "1" },
    { id: "never", problem: "never", answer: "1" },
    { id: "half", problem: "half", answer: "1" },
    { id: "rarely", problem: "rarely", answer: "1" },
    { id: "mostly", problem: "mostly", answer: "1" },
  ];
  const solvedBy: Record<string, number> = { always: 8, never: 0, half: 4, rarely: 1, mostly: 7 };
  const { backend } = scriptedBackend((problem, s) => (s < solvedBy[problem]! ? "1" : "2"));
  const results = await scoreProblems(problems, AVG_AT_8, { backend, verifier: mathVerifier });
  const ranked = rankByVariance(results);
  assert.deepEqual(ranked.map((r) => r.id), ["half", "rarely", "mostly", "never", "always"]);
  assert.deepEqual(ranked.map((r) => r.rank), [1, 2, 3, 4, 5]);
  assert.equal(ranked[0]!.score, 0.25);
  assert.equal(ranked[1]!.p, 1 / 8);
  assert.equal(ranked[3]!.score, 0);
  assert.equal(ranked[4]!.score, 0);
});
