import assert from "node:assert/strict";
import { test } from "node:test";
import { RewardWatch } from "../../../src/core/train/rewardWatch";
import type { VerifyResult } from "../../../src/core/verifier/api";

const failed = (error: string): VerifyResult => ({ correct: false, reward: 0, extracted: null, reason: "verifier error", error });
const wrong: VerifyResult = { correct: false, reward: 0, extracted: "5", reason: "not equal" };
const right: VerifyResult = { correct: true, reward: 1, extracted: "4", reason: "equal" };

test("every reward 0 from one verifier error warns once per streak; anything else does not", () => {
  const w = new RewardWatch();
  assert.equal(w.check(1, [wrong, wrong]), undefined, "plain wrong answers are a normal step");
  assert.equal(w.check(2, [failed("boom"), right]), undefined);
  assert.equal(w.check(3, [failed("boom"), failed("bang")]), undefined, "different errors");
  assert.match(w.check(4, [failed("boom"), failed("boom")]) ?? "", /^Step 4: every reward was 0 and all 2 rollouts failed with the same verifier error \(boom\)/);
  assert.equal(w.check(5, [failed("boom"), failed("boom")]), undefined, "said once while it lasts");
  assert.match(w.check(6, [failed("bang"), failed("bang")]) ?? "", /\(bang\)/);
  assert.equal(w.check(7, [right, wrong]), undefined);
  assert.match(w.check(8, [failed("bang"), failed("bang")]) ?? "", /^Step 8/);
  assert.match(w.check(9, [failed("x".repeat(5000))]) ?? "", /\(x{300}…\)/);
});
