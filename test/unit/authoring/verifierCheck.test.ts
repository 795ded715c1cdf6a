import assert from "node:assert/strict";
import { test } from "node:test";
import { checkVerifier, loadFailureOf, referenceRejection, verdictReason, verdictTitle } from "../../../src/core/authoring/verifierCheck";
import { verifierSpecOf } from "../../../src/core/example/verifierSpec";
import { createVerifier } from "../../../src/core/verifier";
import type { Verifier, VerifyResult } from "../../../src/core/verifier/api";

// The near misses must be near misses for the real graders too: for each answer shape, the
// built-in verifier gives the reference 1 and every near miss 0.
const answers: [string, "math" | "numeric" | "exact" | "choice"][] = [
  ["\\frac{7}{2}", "math"],
  ["42", "math"],
  ["-3", "math"],
  ["3.5", "numeric"],
  ["0", "math"],
  ["(1, 2)", "math"],
  ["[0, 1)", "math"],
  ["x^2+1", "math"],
  ["3\\sqrt{2}", "math"],
  ["\\pi", "math"],
  ["C", "choice"],
  ["blue", "exact"],
];

for (const [answer, kind] of answers) for (const boxedOnly of [false, true]) {
  test(`the ${kind} verifier${boxedOnly ? " (boxed only)" : ""} accepts the reference ${answer} and rejects its near misses`, async () => {
    const verifier = createVerifier({ kind }, { boxedOnly });
    const report = await checkVerifier(verifier, answer);
    const wrong = report.verdicts.filter((v) => !v.ok).map((v) => `${verdictTitle(v)}: ${verdictReason(v)}`);
    assert.deepEqual(wrong, []);
  });
}

function fake(reward: (response: string) => number | "error"): Verifier {
  const grade = async (response: string): Promise<VerifyResult> => {
    const r = reward(response);
    return r === "error"
      ? { correct: false, reward: 0, extracted: null, reason: "boom", error: "the verifier threw" }
      : { correct: r === 1, reward: r, extracted: "x", reason: "fake" };
  };
  return { grade, gradeMany: (items) => Promise.all(items.map((i) => grade(i.response))), dispose: async () => undefined };
}

test("a verifier that accepts everything fails every near miss; one that errors fails everything", async () => {
  const lenient = await checkVerifier(fake(() => 1), "42");
  assert.deepEqual(lenient.verdicts.map((v) => v.ok), [true, false, false, false, false]);
  assert.equal(verdictTitle(lenient.verdicts[3]), "✗ unboxed answer → 1 (should be 0)");
  const broken = await checkVerifier(fake(() => "error"), "42");
  assert.equal(broken.reference.ok, false);
  assert.ok(broken.verdicts.every((v) => !v.ok), "an erroring verifier is never right");
  assert.match(verdictReason(broken.reference), /Error: the verifier threw\.$/);
});

test("partial rewards show with two decimals", async () => {
  const half = await checkVerifier(fake(() => 0.5), "42");
  assert.equal(verdictTitle(half.reference), "✗ reference answer → 0.50 (should be 1)");
});

test("the verifier spec follows the run configuration's rule", () => {
  assert.deepEqual(verifierSpecOf({ frontMatter: {} }), { kind: "math" });
  assert.deepEqual(verifierSpecOf({ frontMatter: { verifier: "numeric" } }), { kind: "numeric" });
  assert.deepEqual(verifierSpecOf({ frontMatter: {}, verifierSource: "x" }), { kind: "custom", source: "x" });
  assert.deepEqual(verifierSpecOf({ frontMatter: { verifier: "custom" }, verifierSource: "x" }), { kind: "custom", source: "x" });
  assert.deepEqual(verifierSpecOf({ frontMatter: { verifier: "exact" }, verifierSource: "x" }), { kind: "exact" });
});

test("a verifier that does not load is reported as such, at the example file's line, not as rejecting the reference", async () => {
  const error = "the verifier does not load: SyntaxError: expecting ')' (verifier line 3)";
  const broken: Verifier = {
    grade: async () => ({ correct: false, reward: 0, extracted: "4", reason: error, error }),
    gradeMany: async (items) => items.map(() => ({ correct: false, reward: 0, extracted: "4", reason: error, error })),
    dispose: async () => undefined,
  };
  // The fence opens at line 11: the verifier's line 3 is the file's line 14.
  const report = await checkVerifier(broken, "4", 11);
  assert.deepEqual(report.loadFailure, { message: "does not load: SyntaxError: expecting ')' at line 14", line: 14 });
  assert.match(referenceRejection(report.reference, 11), /^The custom verifier does not load: SyntaxError: expecting '\)' at line 14/);
  assert.equal(loadFailureOf({ correct: false, reward: 0, extracted: null, reason: "x", error: "the verifier does not load: boom" })?.message, "does not load: boom");
  assert.equal(loadFailureOf({ correct: false, reward: 0, extracted: null, reason: "x", error: "the verifier threw" }), undefined);
});
