// The built-in verifiers: extract the final answer, parse both sides, compare.
import type { BuiltinVerifierKind, VerifyResult } from "./api";
import { parseAnswerCached, choiceLetter, type Answer } from "./answer";
import { cannotCompare, deciding } from "./compare";
import { equal, equalItems } from "./equal";
import { TOO_LARGE } from "./limits";
import { extract } from "./extract";
import { symbols } from "./numeric";
import type { Node } from "./expr";

function result(correct: boolean, extracted: string | null, reason: string): VerifyResult {
  return { correct, reward: correct ? 1 : 0, extracted, reason };
}

/** Whether two parsed answers are the same answer; the reason, or null. */
export function answersEqual(gold: Answer, got: Answer, kind: BuiltinVerifierKind = "math"): string | null {
  if (gold.kind === "empty" || got.kind === "empty") return null;
  if (kind === "exact") return squash(gold.raw) === squash(got.raw) ? "identical text" : null;
  // a labelled option, "(C) 10": the letters decide when both sides give one
  const goldLetter = gold.kind === "math" ? gold.letter : undefined;
  const gotLetter = got.kind === "choice" ? got.letter : got.kind === "math" ? got.letter : undefined;
  if (goldLetter && gotLetter) return goldLetter === gotLetter ? "same choice" : null;
  if (gold.kind === "choice" || kind === "choice") {
    const g = gold.kind === "choice" ? gold.letter : choiceLetter(gold.raw);
    const r = got.kind === "choice" ? got.letter : got.kind === "math" && got.letter ? got.letter : choiceLetter(got.raw);
    return g && r && g === r ? "same choice" : null;
  }
  if (gold.kind === "text" || got.kind === "text") {
    if (gold.kind === "text" && got.kind === "text" && gold.text === got.text) return "same text";
    const capped = (gold.kind === "text" && gold.tooLarge) || (got.kind === "text" && got.tooLarge);
    return capped ? cannotCompare(`the ${gold.kind === "text" && gold.tooLarge ? "reference answer" : "answer"} is ${capped}`) : null;
  }
  if (got.kind !== "math" || gold.kind !== "math") return null;
  if (kind === "numeric" && !isNumeric(gold.items) && !isNumeric(got.items)) return null;
  if (kind === "numeric" && (!isNumeric(got.items) || !isNumeric(gold.items))) return null;
  if (gold.canonical === got.canonical) return "identical after normalisation";
  return equalItems(gold.items, got.items);
}

function isNumeric(items: Node[]): boolean {
  return items.length === 1 && items[0].k !== "rel" && symbols(items[0]).size === 0;
}

function squash(s: string): string {
  return s.replace(/\s+/g, "").replace(/^\$+|\$+$/g, "");
}

/** Grades one response against a reference answer with a built-in verifier. Never throws. */
export function gradeBuiltin(
  kind: BuiltinVerifierKind,
  response: string,
  answer: string,
  opts: { boxedOnly?: boolean } = {},
): VerifyResult {
  try {
    return gradeUnsafe(kind, response, answer, opts.boxedOnly === true);
  } catch (e) {
    // a stack overflow or a bug in parsing must not take down training
    return result(false, null, `could not grade: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function gradeUnsafe(kind: BuiltinVerifierKind, response: string, answer: string, boxedOnly: boolean): VerifyResult {
  const gold = parseAnswerCached(answer);
  if (gold.kind === "empty") return result(false, null, "the reference answer is empty");
  const ex = extract(response ?? "");
  if (boxedOnly && ex.found && ex.source !== "boxed") {
    return result(false, ex.answers[ex.answers.length - 1] ?? null, `the final answer is not in \\boxed{} (found after "${ex.source}"; this grader requires a box)`);
  }
  if (boxedOnly && !ex.found) return result(false, null, ex.reason);
  if (!ex.found) {
    // a bare letter or number is a complete answer for a choice question
    if (kind === "choice" && response && response.trim().length <= 12) {
      const r = parseAnswerCached(response.trim());
      const why = answersEqual(gold, r, kind);
      return result(why !== null, response.trim(), why ?? "not the reference choice");
    }
    return result(false, null, ex.reason);
  }
  // an empty \boxed{} is the model quoting the instructions ("put the answer in \boxed{}")
  const answers = ex.answers.some((a) => a.trim()) ? ex.answers.filter((a) => a.trim()) : ex.answers;
  const last = answers[answers.length - 1];
  // "x = \boxed{2}, and the question asks for 2x, which is 4": the box is not the response's answer
  if (ex.stated !== undefined && contradicts(last, ex.stated, kind)) {
    return result(false, last, `after its last box the response gives "${ex.stated}" as the answer, so the box is not its final answer`);
  }
  const source = ex.superseded ? `${ex.source}, concluding after a re-check` : ex.source;
  const distinct = [...new Set(answers.map((a) => a.trim()))];
  if (distinct.length === 1) {
    const got = parseAnswerCached(distinct[0]);
    const { result: why, undecided } = deciding(() => answersEqual(gold, got, kind));
    return result(why !== null, last, why ? `${why} (${source})` : undecided ? `${TOO_LARGE}: ${undecided}` : notEqualReason(got));
  }
  // Several different boxed answers: correct only if every one of them is (the same answer
  // written twice), or if together they are exactly the reference's list of values.
  const parsed = distinct.map(parseAnswerCached);
  const each = parsed.map((p) => answersEqual(gold, p, kind));
  if (each.every((w) => w !== null)) return result(true, last, `every boxed answer is correct: ${each[0]}`);
  if (gold.kind === "math" && parsed.every((p) => p.kind === "math")) {
    const items = parsed.flatMap((p) => (p.kind === "math" ? p.items : []));
    if (gold.items.length > 1 && items.length === gold.items.length) {
      const why = equalItems(gold.items, items);
      if (why) return result(true, distinct.join(", "), `the boxed answers together: ${why}`);
    }
  }
  return result(false, last, `${distinct.length} different boxed answers${ex.superseded ? " in the conclusion" : ""}`);
}

/** Whether a value stated in words ("the answer is 4") is mathematics that the box does not equal; words ("… is correct") are no value. */
function contradicts(box: string, stated: string, kind: BuiltinVerifierKind): boolean {
  const said = parseAnswerCached(stated);
  if (said.kind !== "math") return false;
  return deciding(() => answersEqual(parseAnswerCached(box), said, kind)).result === null;
}

function notEqualReason(got: Answer): string {
  if (got.kind === "empty") return "the final answer is empty";
  return "not equal to the reference answer";
}

/** The `equal` helper: whether two answer strings are mathematically the same. */
export function answersEquivalent(a: string, b: string): boolean {
  try {
    return answersEqual(parseAnswerCached(a), parseAnswerCached(b)) !== null;
  } catch {
    return false;
  }
}

/** The `normalise` helper: a canonical text form of an answer, or null when it has none. */
export function normaliseAnswer(a: string): string | null {
  try {
    const p = parseAnswerCached(a);
    if (p.kind === "math") return p.canonical;
    if (p.kind === "text") return p.text;
    if (p.kind === "choice") return p.letter;
    return null;
  } catch {
    return null;
  }
}

export { equal };
