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
