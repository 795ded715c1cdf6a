import assert from "node:assert/strict";
import { test } from "node:test";
import { seriesToCsv, seriesToJson } from "../../../src/core/monitor/export";
import { newCursor, RunModel } from "../../../src/core/monitor/reducer";
import { applyDelta, emptySeries, METRIC_KEYS } from "../../../src/protocol/series";
import { RunGenerator } from "../../../bench/dashboard/genlog";

function series() {
  const gen = new RunGenerator("r", { evalEvery: 2, benchmarks: [{ name: "math,500", metric: "acc", n: 5, from: 0.2, to: 0.8 }] });
  const m = new RunModel();
  m.apply(gen.start());
  for (let i = 0; i < 3; i++) m.apply(gen.nextStep());
  return applyDelta(emptySeries(), m.deltaSince(newCursor()));
}

test("CSV has one row per step plus eval-only steps, eval values where measured, quoted names", () => {
  const csv = seriesToCsv(series()).trimEnd().split("\n");
  const header = csv[0].split(",");
  assert.equal(header[0], "step");
  assert.equal(header.length, 2 + METRIC_KEYS.length + 2); // the quoted name holds a comma
  assert.ok(csv[0].endsWith('"eval_math,500_acc"'));
  assert.deepEqual(csv.slice(1).map((r) => r.split(",")[0]), ["0", "1", "2", "3"]);
  assert.ok(csv[1].endsWith(",0.2"), "step 0 has only the initial eval");
  assert.ok(csv[2].endsWith(","), "step 1 has no eval");
  assert.match(csv[3], /,0\.\d+$/);
});

test("JSON export keeps every step metric and the eval points", () => {
  const j = seriesToJson("r", series(), new Date(0));
  assert.equal(j.exported_at, "1970-01-01T00:00:00.000Z");
  assert.equal(j.steps.length, 3);
  assert.equal(typeof j.steps[0].reward_mean, "number");
  assert.deepEqual(j.evals[0].points.map((p) => p.step), [0, 2]);
});
