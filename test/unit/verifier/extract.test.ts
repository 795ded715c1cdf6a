import assert from "node:assert/strict";
import { test } from "node:test";
import { extract, extractAnswer } from "../../../src/core/verifier/extract";
import { gradeBuiltin, normaliseAnswer, answersEquivalent } from "../../../src/core/verifier/grade";

test("the last box wins, nested braces kept", () => {
  assert.equal(extractAnswer("first \\boxed{1}, then \\boxed{\\frac{1}{\\sqrt{2}}}"), "\\frac{1}{\\sqrt{2}}");
  assert.equal(extractAnswer("\\fbox{x^{2}}"), "x^{2}");
  assert.equal(extractAnswer("so \\boxed 5 is it"), "5");
  assert.equal(extractAnswer("escaped \\boxed{\\{1, 2\\}}"), "\\{1, 2\\}");
});

test("fallback phrases have a fixed priority", () => {
  const r = "The answer is 3. Answer: 4. Final answer: 5";
  assert.deepEqual(extract(r), { found: true, answers: ["5"], source: "final answer" });
  assert.deepEqual(extract("Answer: 4. So the answer is 3."), { found: true, answers: ["3"], source: "answer is" });
  assert.deepEqual(extract("**Answer:** $x = 2$"), { found: true, answers: ["x = 2"], source: "answer:" });
  assert.equal(extractAnswer("The final answer is $\\frac{1}{2}$. I hope it is correct."), "\\frac{1}{2}");
  assert.equal(extractAnswer("the answer is 12 because 3 times 4 is 12"), "12");
  assert.equal(extractAnswer("the answer is not obvious"), null);
  assert.equal(extractAnswer("**Final Answer**\n\n42"), "42");
  assert.equal(extractAnswer("Natalia sold 48 + 24 = 72 clips.\n#### 72"), "72");
  assert.equal(extractAnswer("so the answer would be 12."), "12");
  assert.equal(extractAnswer("the final answer is not yet known"), null);
  assert.equal(extractAnswer("We get 12 apples in total."), null);
});

test("empty and truncated responses have no answer", () => {
  assert.deepEqual(extract(""), { found: false, reason: "empty response" });
  assert.equal(extract("so \\boxed{\\frac{1}{2}").found, false);
  assert.match((extract("\\boxed{3} then \\boxed{") as { reason: string }).reason, /never closed/);
});

test("huge and adversarial responses are graded quickly", () => {
  const cases = [
    "x".repeat(200_000) + " \\boxed{5}",
    "{".repeat(100_000) + "\\boxed{5}",
    "\\boxed{" + "{".repeat(50_000) + "5" + "}".repeat(50_000) + "}",
    "\\boxed{" + "\\frac{1}{".repeat(3000) + "2" + "}".repeat(3000) + "}",
    "\\boxed{" + "(".repeat(5000) + "5" + ")".repeat(5000) + "}",
    "\\boxed{" + "$".repeat(100_000) + "x}",
    "\\boxed{" + "1+".repeat(20_000) + "1}",
    "\\boxed{2^{2^{2^{2^{2^{2}}}}}}",
    "\\boxed{1000!}",
    "\\boxed{10^{10^{10}}}",
    "\\boxed{1} ".repeat(20_000),
    "The answer is " + "a ".repeat(100_000),
    "\\boxed{" + "x".repeat(100_000) + "}",
    "\\boxed{" + "1,".repeat(30_000) + "1}",
  ];
  for (const response of cases) {
    // CPU time, not wall time: other processes may share the machine
    const t = process.cpuUsage();
    const r = gradeBuiltin("math", response, "5");
    const used = process.cpuUsage(t);
    const ms = (used.user + used.system) / 1000;
    assert.ok(ms < 500, `${ms.toFixed(0)} ms of CPU for ${response.slice(0, 30)}…`);
    assert.equal(typeof r.correct, "boolean");
  }
  assert.equal(gradeBuiltin("math", "x".repeat(200_000) + " \\boxed{5}", "5").correct, true);
  assert.equal(gradeBuiltin("math", "\\boxed{" + "{".repeat(50_000) + "5" + "}".repeat(50_000) + "}", "5").correct, false);
});

test("helpers: normalise gives one form for equal answers, equal compares answers", () => {
  assert.equal(normaliseAnswer("\\dfrac{1}{2}"), normaliseAnswer("\\frac12"));
  assert.equal(normaliseAnswer("\\text{Monday}"), "monday");
  assert.equal(normaliseAnswer("(C)"), "C");
  assert.equal(normaliseAnswer(""), null);
  assert.equal(answersEquivalent("0.5", "\\frac{1}{2}"), true);
  assert.equal(answersEquivalent("(1,2]", "(1,2)"), false);
});

test("other built-in kinds: numeric, exact, choice", () => {
  assert.equal(gradeBuiltin("numeric", "\\boxed{3.50}", "7/2").correct, true);
  assert.equal(gradeBuiltin("numeric", "\\boxed{x+1}", "7/2").correct, false);
  assert.equal(gradeBuiltin("exact", "\\boxed{ABC }", "ABC").correct, true);
  assert.equal(gradeBuiltin("exact", "\\boxed{abc}", "ABC").correct, false);
  assert.equal(gradeBuiltin("choice", "I pick \\boxed{\\text{(B)}}", "B").correct, true);
  assert.equal(gradeBuiltin("choice", "B", "B").correct, true);
  assert.equal(gradeBuiltin("choice", "\\boxed{C}", "B").correct, false);
});

test("a reference answer that cannot be parsed still grades as text, never throws", () => {
  const r = gradeBuiltin("math", "\\boxed{\\weird{x}}", "\\weird{x}");
  assert.equal(r.correct, true);
  assert.equal(gradeBuiltin("math", "\\boxed{1}", "").reason, "the reference answer is empty");
});
