import assert from "node:assert/strict";
import { test } from "node:test";
import { createVerifier, gradeBuiltin } from "../../../src/core/verifier/index";

test("boxedOnly: an unboxed 'The answer is' scores 0 with a reason; the same answer boxed scores 1", async () => {
  const plain = "3x = 12, so x = 4. The answer is 4.";
  assert.equal(gradeBuiltin("math", plain, "4").correct, true, "fallbacks count by default");
  const strict = gradeBuiltin("math", plain, "4", { boxedOnly: true });
  assert.equal(strict.correct, false);
  assert.equal(strict.extracted, "4");
  assert.match(strict.reason, /not in \\boxed\{\}/);
  const v = createVerifier({ kind: "math" }, { boxedOnly: true });
  assert.equal((await v.grade("so x = \\boxed{4}.", "4")).reward, 1);
  assert.equal((await v.grade(plain, "4")).reward, 0);
  assert.equal((await v.grade("no answer at all", "4")).reward, 0);
});
