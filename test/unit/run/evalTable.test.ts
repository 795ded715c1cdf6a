import assert from "node:assert/strict";
import { test } from "node:test";
import { evalTable, formatEvalTable } from "../../../src/core/run/evalTable";
import type { RunEvent } from "../../../src/core/run/events";

const ev = (step: number, value: number, eq: number, fr: number): RunEvent => ({
  v: 1,
  t: step,
  type: "eval",
  step,
  benchmark: "synthetic",
  metric: "acc",
  value,
  n: 4,
  breakdown: { equations: { value: eq, n: 2 }, fractions: { value: fr, n: 2 } },
});

test("first evaluation against the last, per sub-skill, with the change in points", () => {
  const t = evalTable([ev(0, 0.25, 0, 0.5), ev(20, 0.5, 0.5, 0.5), ev(40, 0.75, 1, 0.5)]);
  assert.ok(t);
  assert.equal(t.firstStep, 0);
  assert.equal(t.lastStep, 40);
  assert.deepEqual(
    t.rows.map((r) => [r.group, r.before, r.after]),
    [["all", 0.25, 0.75], ["equations", 0, 1], ["fractions", 0.5, 0.5]],
  );
  const text = formatEvalTable(t);
  assert.match(text, /step 0\s+step 40\s+change/);
  assert.match(text, /equations\s+2\s+0\.0%\s+100\.0%\s+\+100\.0 pts/);
  assert.match(text, /fractions\s+2\s+50\.0%\s+50\.0%\s+\+0\.0 pts/);
});

test("the before/after table byte for byte: numbers right-aligned, no final newline", () => {
  const t = evalTable([ev(0, 0.25, 0, 0.5), ev(40, 0.75, 1, 0.5)]);
  assert.ok(t);
  assert.equal(
    formatEvalTable(t),
    [
      "benchmark  sub-skill  n  step 0  step 40      change",
      "synthetic  all        4   25.0%    75.0%   +50.0 pts",
      "synthetic  equations  2    0.0%   100.0%  +100.0 pts",
      "synthetic  fractions  2   50.0%    50.0%    +0.0 pts",
    ].join("\n"),
  );
});

test("a run with a single evaluation has no before/after table", () => {
  assert.equal(evalTable([ev(0, 0.25, 0, 0.5)]), undefined);
});
