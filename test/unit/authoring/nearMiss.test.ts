import assert from "node:assert/strict";
import { test } from "node:test";
import { differentValue, verifierCases, wrongForm } from "../../../src/core/authoring/nearMiss";

const boxed = (s: string) => [...s.matchAll(/\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}/g)].map((m) => m[1]);

test("the reference case boxes the answer once and expects 1; every near miss expects 0", () => {
  const cases = verifierCases("\\frac{7}{2}");
  assert.deepEqual(
    cases.map((c) => [c.kind, c.expected]),
    [
      ["reference", 1],
      ["different-number", 0],
      ["wrong-form", 0],
      ["unboxed", 0],
      ["several-boxed", 0],
    ],
  );
  assert.deepEqual(boxed(cases[0].response), ["\\frac{7}{2}"]);
});

test("the different-number case boxes a changed value", () => {
  const c = verifierCases("\\frac{7}{2}").find((x) => x.kind === "different-number")!;
  assert.deepEqual(boxed(c.response), ["\\frac{7}{3}"]);
});

test("the unboxed case states the answer with no box and no 'answer is' phrase", () => {
  const c = verifierCases("42").find((x) => x.kind === "unboxed")!;
  assert.ok(c.response.includes("42"));
  assert.ok(!c.response.includes("\\boxed"));
  assert.doesNotMatch(c.response, /answer/i);
});

test("the several-boxed case boxes the answer and a different value", () => {
  const c = verifierCases("42").find((x) => x.kind === "several-boxed")!;
  assert.deepEqual(boxed(c.response), ["42", "43"]);
});

test("differentValue bumps the last number, keeps decimals and letters", () => {
  assert.equal(differentValue("42"), "43");
  assert.equal(differentValue("3.25"), "4.25");
  assert.equal(differentValue("-3"), "-4");
  assert.equal(differentValue("(1, 2)"), "(1, 3)");
  assert.equal(differentValue("3\\sqrt{2}"), "3\\sqrt{3}");
  assert.equal(differentValue("99999999999999999999"), "100000000000000000000");
  assert.equal(differentValue("B"), "C");
  assert.equal(differentValue("(J)"), "(A)");
  assert.equal(differentValue("\\pi"), "\\pi+1");
});

test("wrongForm rearranges the parts into a different value", () => {
  assert.equal(wrongForm("\\frac{7}{2}"), "\\frac{2}{7}");
  assert.equal(wrongForm("\\dfrac{1}{3}"), "\\frac{3}{1}");
  assert.equal(wrongForm("7/2"), "2/7");
  assert.equal(wrongForm("35"), "3.5");
  assert.equal(wrongForm("3.5"), "35");
  assert.equal(wrongForm("0.5"), "5");
  assert.equal(wrongForm("7"), "0.7");
  assert.equal(wrongForm("-12"), "-1.2");
  assert.equal(wrongForm("0"), "\\infty");
  assert.equal(wrongForm("(1, 2)"), "(2, 1)");
  assert.equal(wrongForm("[0, \\frac{1}{2})"), "[\\frac{1}{2}, 0)");
  assert.equal(wrongForm("C"), "CD");
  assert.equal(wrongForm("blue"), "not blue");
  assert.equal(wrongForm("x^2+1"), "-\\left(x^2+1\\right)");
});

test("wrongForm never returns a value equal to a symmetric answer", () => {
  // \frac{2}{2}, 2/2 and (1, 1) read the same reversed: the fallback negates instead.
  assert.equal(wrongForm("\\frac{2}{2}"), "-\\left(\\frac{2}{2}\\right)");
  assert.equal(wrongForm("2/2"), "-\\left(2/2\\right)");
  assert.equal(wrongForm("(1, 1)"), "-\\left((1, 1)\\right)");
});
