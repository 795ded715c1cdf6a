// The responses "Test verifier" grades: one that states the reference answer the way the paper's
// reward expects (last \boxed{} answer, must score 1) and near misses a sound verifier must score 0.
// They are built from the answer's shape alone, so they work for any verifier, built-in or custom.

export type VerifierCaseKind = "reference" | "different-number" | "wrong-form" | "unboxed" | "several-boxed";

export interface VerifierCase {
  kind: VerifierCaseKind;
  /** Short name shown inline, e.g. "different number". */
  label: string;
  /** What the case checks, one sentence. */
  purpose: string;
  /** The model response handed to the verifier. */
  response: string;
  /** The reward a sound verifier gives: 1 for the reference, 0 for every near miss. */
  expected: 0 | 1;
}

const NUMBER = /\d+(?:\.\d+)?/g;
const CHOICE = /^\(?([A-Ja-j])\)?$/;
const FRAC = /^\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}$/;
const SLASH = /^(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)$/;
const PLAIN_NUMBER = /^(-?)(\d+)(?:\.(\d+))?$/;
const TUPLE = /^([([])(.*)([)\]])$/;

const INTRO = "Let me work through this step by step.\n\nAfter simplifying, ";

/** The reference case followed by the four near misses, in the order they are shown. */
export function verifierCases(answer: string): VerifierCase[] {
  const a = answer.trim();
  const other = differentValue(a);
  return [
    {
      kind: "reference",
      label: "reference answer",
      purpose: "The reference answer in the last \\boxed{} must score 1.",
      response: `${INTRO}the result follows.\n\nThe final answer is $\\boxed{${a}}$.`,
      expected: 1,
    },
    {
      kind: "different-number",
      label: "different number",
      purpose: "A boxed answer with a different value must score 0.",
      response: `${INTRO}the result follows.\n\nThe final answer is $\\boxed{${other}}$.`,
      expected: 0,
    },
    {
      kind: "wrong-form",
      label: "wrong form",
      purpose: "The answer's parts rearranged into a different value must score 0.",
      response: `${INTRO}the result follows.\n\nThe final answer is $\\boxed{${wrongForm(a)}}$.`,
      expected: 0,
    },
    {
      kind: "unboxed",
      label: "unboxed answer",
      purpose: "The right value without any \\boxed{} must score 0 (the reward reads only the boxed answer).",
      // Deliberately no "answer is"/"Answer:" phrase: those are extraction fallbacks, and this case
      // checks that a value merely mentioned in passing is not taken for the final answer.
      response: `${INTRO}we get ${a} here, although I have not checked every case yet.`,
      expected: 0,
    },
    {
      kind: "several-boxed",
      label: "several boxed answers",
      purpose: "Hedging between two different boxed answers must score 0, even when one is right.",
      response: `${INTRO}it is either $\\boxed{${a}}$ or $\\boxed{${other}}$.`,
      expected: 0,
    },
  ];
}

/** Adds 1 to the last number of the answer; a choice letter becomes the next letter. */
export function differentValue(answer: string): string {
  const choice = CHOICE.exec(answer);
  if (choice) return answer.replace(choice[1], nextLetter(choice[1]));
  const numbers = [...answer.matchAll(NUMBER)];
  const last = numbers.at(-1);
  if (last?.index === undefined) return `${answer}+1`;
  const [whole, frac] = last[0].split(".");
  const bumped = (BigInt(whole) + 1n).toString() + (frac === undefined ? "" : `.${frac}`);
  return answer.slice(0, last.index) + bumped + answer.slice(last.index + last[0].length);
}

/**
 * The same pieces in a different arrangement: a fraction turned upside down, a decimal point moved,
 * a tuple reversed; otherwise the negated answer. Each has a value different from the answer.
 */
export function wrongForm(answer: string): string {
  const choice = CHOICE.exec(answer);
  if (choice) return `${choice[1]}${nextLetter(choice[1])}`;

  const frac = FRAC.exec(answer);
  if (frac && !sameNumber(frac[1], frac[2])) return answer.replace(FRAC, (_m, n, d) => `\\frac{${d}}{${n}}`);

  const slash = SLASH.exec(answer);
  if (slash && !sameNumber(slash[1], slash[2])) return `${slash[2]}/${slash[1]}`;

  const num = PLAIN_NUMBER.exec(answer);
  if (num) return shiftDecimalPoint(num[1], num[2], num[3]);

  const tuple = TUPLE.exec(answer);
  if (tuple) {
    const parts = splitTopLevel(tuple[2]).map((p) => p.trim());
    const reversed = [...parts].reverse();
    if (parts.length > 1 && reversed.join() !== parts.join()) {
      return `${tuple[1]}${reversed.join(", ")}${tuple[3]}`;
    }
  }
  return /^[A-Za-z][A-Za-z ]*$/.test(answer) ? `not ${answer}` : `-\\left(${answer}\\right)`;
}

/** 35 → 3.5, 3.5 → 35, 7 → 0.7, 0 → \infty: same digits, different value. */
function shiftDecimalPoint(sign: string, whole: string, frac: string | undefined): string {
  if (frac !== undefined) return `${sign}${(whole + frac).replace(/^0+(?=\d)/, "")}`;
  if (/^0+$/.test(whole)) return "\\infty";
  if (whole.length === 1) return `${sign}0.${whole}`;
  return `${sign}${whole.slice(0, -1)}.${whole.slice(-1)}`;
}

function sameNumber(a: string, b: string): boolean {
  return a.trim() === b.trim() || (Number.isFinite(Number(a)) && Number(a) === Number(b));
}

function nextLetter(letter: string): string {
  const base = letter === letter.toUpperCase() ? 65 : 97;
  return String.fromCharCode(base + ((letter.charCodeAt(0) - base + 1) % 10));
}

/** Splits on commas outside any brackets or braces. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}
