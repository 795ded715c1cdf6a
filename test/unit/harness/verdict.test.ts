// The integration harness's pass/fail rule (scripts/lib/verdict.mjs): only a session that ran at
// least one test, failed none, reported its counts and exited 0 passes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { verdict } from "../../../scripts/lib/verdict.mjs";

const counts = (passed: number, failed: number) => ({ passed, failed, pending: 0 });

test("a clean run with tests passes", () => {
  assert.deepEqual(verdict({ exitCode: 0, timedOut: false, result: counts(3, 0) }), { ok: true, why: "" });
});

test("a failing test fails the run even if the host exited 0", () => {
  assert.equal(verdict({ exitCode: 0, timedOut: false, result: counts(2, 1) }).ok, false);
  assert.equal(verdict({ exitCode: 1, timedOut: false, result: counts(0, 1) }).why, "1 test(s) failed");
});

test("a run in which no test ran fails", () => {
  assert.deepEqual(verdict({ exitCode: 0, timedOut: false, result: counts(0, 0) }), { ok: false, why: "no test ran" });
});

test("a run without counts, with a non-zero exit, or timed out fails", () => {
  assert.equal(verdict({ exitCode: 0, timedOut: false, result: null }).ok, false);
  assert.equal(verdict({ exitCode: 1, timedOut: false, result: counts(4, 0) }).ok, false);
  assert.equal(verdict({ exitCode: null, timedOut: true, result: counts(4, 0) }).ok, false);
});
