import assert from "node:assert/strict";
import { test } from "node:test";
import { ADVANTAGE_EPSILON, groupAdvantages } from "../../../src/core/train/advantages";
import { countReflectionWords, reflectionRate, spreadSample } from "../../../src/core/train/metrics";
import { subset } from "../../../src/core/train/benchmarks";

const close = (a: number[], b: number[]) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-9, `${a} vs ${b}`));

test("advantages are normalised within each group with the sample std and epsilon", () => {
  const r = groupAdvantages([1, 0, 0, 0, 1, 1, 1, 1], 4);
  // group 1: mean 0.25, sample std 0.5 → (0.75/0.5, -0.25/0.5 ×3)
  const s = 0.5 + ADVANTAGE_EPSILON;
  close(r.advantages.slice(0, 4), [0.75 / s, -0.25 / s, -0.25 / s, -0.25 / s]);
  close(r.advantages.slice(4), [0, 0, 0, 0]);
  assert.equal(r.groups, 2);
  assert.equal(r.zeroVarianceGroups, 1);
});

test("advantages of a group sum to zero and keep partial rewards' order", () => {
  const r = groupAdvantages([0.2, 0.5, 0.9], 3);
  assert.ok(Math.abs(r.advantages.reduce((a, b) => a + b, 0)) < 1e-9);
  assert.ok(r.advantages[0] < r.advantages[1] && r.advantages[1] < r.advantages[2]);
});

test("rewards that do not split into groups are a programming error", () => {
  assert.throws(() => groupAdvantages([1, 0, 1], 2), RangeError);
});

test("reflection words are counted with inflections, per 1,000 words", () => {
  assert.equal(countReflectionWords("Wait, let me recheck. Rechecking... I recalculated and will rethink. waiter awaited"), 5);
  assert.equal(reflectionRate(["wait one two three", "five six seven eight"]), 125);
  assert.equal(reflectionRate([]), 0);
});

test("spread samples cover all groups; subsets are stable per seed", () => {
  assert.deepEqual(spreadSample(8, 4), [0, 2, 4, 6]);
  assert.deepEqual(spreadSample(3, 5), [0, 1, 2]);
  const items = Array.from({ length: 100 }, (_, i) => i);
  const a = subset(items, 10, 7);
  assert.equal(a.length, 10);
  assert.deepEqual(a, subset(items, 10, 7));
  assert.notDeepEqual(a, subset(items, 10, 8));
  assert.deepEqual(subset(items, null, 1), items);
});
