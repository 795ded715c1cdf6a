import assert from "node:assert/strict";
import { test } from "node:test";
import { alignOnSteps } from "../../../src/protocol/series";
import { emaSmooth } from "../../../src/core/monitor/smoothing";
import { estimateEta, formatDuration } from "../../../src/core/monitor/eta";

test("EMA smoothing is debiased, keeps gaps, and weight 0 is the identity", () => {
  for (const v of emaSmooth([1, 1, 1], 0.9)) assert.ok(Math.abs(v! - 1) < 1e-9);
  const s = emaSmooth([0, 1, null, 1], 0.5);
  assert.equal(s[0], 0);
  assert.ok(Math.abs(s[1]! - 2 / 3) < 1e-12);
  assert.equal(s[2], null);
  assert.ok(s[3]! > s[1]! && s[3]! < 1);
  assert.deepEqual(emaSmooth([3, 5], 0), [3, 5]);
});

test("dense step columns and sparse eval points share one sorted step axis", () => {
  const { x, ys } = alignOnSteps([1, 2, 3], [[0.1, 0.2, 0.3]], [{ steps: [0, 2], values: [0.4, 0.6] }]);
  assert.deepEqual(x, [0, 1, 2, 3]);
  assert.deepEqual(ys, [
    [null, 0.1, 0.2, 0.3],
    [0.4, null, 0.6, null],
  ]);
});

test("ETA uses the median step time, so one slow step does not swing it", () => {
  const steps = [1, 2, 3, 4, 5];
  const times = [0, 10, 20, 90, 100];
  assert.equal(estimateEta(steps, times, 10), 50);
  assert.equal(estimateEta([1], [0], 10), null);
  assert.equal(estimateEta(steps, times, 5), 0);
  assert.equal(formatDuration(3_725_000), "1h 02m");
  assert.equal(formatDuration(65_000), "1m 05s");
  assert.equal(formatDuration(4_000), "4s");
});

test("incremental smoothing of a growing column equals smoothing it whole", async () => {
  const { IncrementalSmoother } = await import("../../../src/core/monitor/smoothing");
  const s = new IncrementalSmoother();
  const col: (number | null)[] = [0.1, 0.5, null, 0.9];
  assert.deepEqual(s.smooth(col, 0.6), emaSmooth(col, 0.6));
  col.push(0.2, 0.4);
  assert.deepEqual(s.smooth(col, 0.6), emaSmooth(col, 0.6));
  assert.deepEqual(s.smooth(col, 0.3), emaSmooth(col, 0.3));
  assert.deepEqual(s.smooth(col, 0), col);
});

test("alignment merges ascending steps linearly and still handles unsorted input", () => {
  const a = alignOnSteps([1, 2, 4], [[1, 2, 4]], [{ steps: [0, 3, 4], values: [0, 3, null] }]);
  assert.deepEqual(a.x, [0, 1, 2, 3, 4]);
  assert.deepEqual(a.ys[1], [0, null, null, 3, null]);
  const b = alignOnSteps([2, 1], [[2, 1]], []);
  assert.deepEqual(b, { x: [1, 2], ys: [[1, 2]] });
  const c = alignOnSteps([1, 2], [[5, 6]], []);
  assert.deepEqual(c, { x: [1, 2], ys: [[5, 6]] });
});
