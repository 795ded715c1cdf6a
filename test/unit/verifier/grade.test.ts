import assert from "node:assert/strict";
import { test } from "node:test";
import { gradeBuiltin } from "../../../src/core/verifier/grade";
import { categories } from "./cases";

for (const [name, cases] of Object.entries(categories)) {
  test(`math verifier: ${name}`, () => {
    const wrong: string[] = [];
    for (const [gold, response, correct] of cases) {
      const r = gradeBuiltin("math", response, gold);
      if (r.correct !== correct) wrong.push(`gold ${gold} | answer ${r.extracted} | expected ${correct} | ${r.reason}`);
      assert.equal(r.reward, r.correct ? 1 : 0);
    }
    assert.deepEqual(wrong, []);
  });
}

test("positives and hard negatives are both well represented", () => {
  const all = Object.values(categories).flat();
  const negatives = all.filter((c) => !c[2]).length;
  assert.ok(all.length >= 250, `${all.length} cases`);
  assert.ok(negatives >= 80, `${negatives} negatives`);
});

test("values past the double range and answers past a size cap say 'too large to compare', not 'not equal'", () => {
  const reason = (gold: string, boxed: string) => gradeBuiltin("math", `\\boxed{${boxed}}`, gold);
  const tooLarge: [string, string][] = [
    ["0", "\\sqrt{2}^{-3000}"], // underflows to 0
    ["e^{1000}", "e^{1001}"], // overflows
    ["e^{3000x}", "e^{3001x}"], // overflows at every sample point, and is not rational
    ["x^{5}", "x^{4095}".repeat(380)], // exact values past the size cap, floats past the range
    ["5", "1+".repeat(2100) + "1"], // longer than the parser takes
    ["5", "x".repeat(2500)], // more terms than the parser takes
    ["5", "(".repeat(250) + "5" + ")".repeat(250)], // nested too deeply for the parser
    ["5", "\\frac{1}{".repeat(70) + "2" + "}".repeat(70)], // nested too deeply for the LaTeX reader
    ["\\{" + Array.from({ length: 70 }, (_, k) => k).join(",") + "\\}", "\\{" + Array.from({ length: 70 }, (_, k) => 69 - k).join(",") + "\\}"],
  ];
  for (const [gold, boxed] of tooLarge) {
    const r = reason(gold, boxed);
    assert.equal(r.correct, false, `${gold} vs ${boxed.slice(0, 40)}`);
    assert.match(r.reason, /^too large to compare: /, `${gold} vs ${boxed.slice(0, 40)}: ${r.reason}`);
  }
  // decided ones keep the plain verdicts
  assert.equal(reason("x^{3000}", "x^{3001}").reason, "not equal to the reference answer");
  assert.equal(reason("13", "14").reason, "not equal to the reference answer");
  assert.match(reason("\\frac{1}{3}", "0." + "3".repeat(1000)).reason, /equal to the precision the answer states/);
});

test("re-checks, hedges, boxes that are not the answer and <think> grade the same with boxed_only (the paper's reward)", () => {
  for (const name of ["selfCorrection", "hedging", "notTheAnswer", "thinking"]) {
    for (const [gold, response, correct] of categories[name]) {
      assert.equal(gradeBuiltin("math", response, gold, { boxedOnly: true }).correct, correct, `${name}: ${gold} | ${response}`);
    }
  }
});

test("the reason says when a concluding box after a re-check decided", () => {
  const r = gradeBuiltin("math", "\\boxed{3}. Wait, recalculating: \\boxed{5}.", "5", { boxedOnly: true });
  assert.match(r.reason, /concluding after a re-check/);
  assert.equal(r.extracted, "5");
  const stated = gradeBuiltin("math", "x = \\boxed{2}, and the question asks for 2x, which is 4.", "4");
  assert.match(stated.reason, /gives "4" as the answer/);
});

test("a response of many boxes and re-check words is graded in linear time", () => {
  const big = "Wait, \\boxed{1} hmm recheck ".repeat(20_000) + "\\boxed{5}";
  const t0 = performance.now();
  assert.equal(gradeBuiltin("math", big, "5").correct, true);
  assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
});
