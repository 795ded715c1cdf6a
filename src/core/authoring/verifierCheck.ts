// "Test verifier": grade the reference case and the near misses with the example's verifier and
// say which verdicts are right. The same check gates training: a verifier that does not give
// the reference answer full reward would train on a reward of 0 everywhere.
import type { Verifier, VerifyResult } from "../verifier/api";
import { type VerifierCase, verifierCases } from "./nearMiss";

export interface CaseVerdict {
  case: VerifierCase;
  result: VerifyResult;
  /** The verifier did what a sound one must: reward 1 on the reference, 0 on a near miss. */
  ok: boolean;
}

export interface VerifierReport {
  answer: string;
  verdicts: CaseVerdict[];
  /** The reference verdict, kept apart because training depends on it. */
  reference: CaseVerdict;
  elapsedMs: number;
  /** Set when a custom verifier does not load: then no verdict says anything about the verifier's logic. */
  loadFailure?: LoadFailure;
}

/** A custom verifier whose code does not load (a syntax error, a throw at its top level). */
export interface LoadFailure {
  /** "does not load: SyntaxError: expecting ')' at line 14" */
  message: string;
  /** 1-based line in the example file, when the sandbox named one. */
  line?: number;
}

const DOES_NOT_LOAD = /^the verifier does not load: ([\s\S]*?)(?: \(verifier line (\d+)\))?$/;

/**
 * Whether a result failed because the verifier did not load; `verifierLine` is the 1-based line of
 * the verifier block's opening fence, so the sandbox's "verifier line N" is the file's line fence + N.
 */
export function loadFailureOf(result: VerifyResult, verifierLine?: number): LoadFailure | undefined {
  const m = DOES_NOT_LOAD.exec(result.error ?? "");
  if (!m) return undefined;
  const line = m[2] && verifierLine !== undefined ? verifierLine + Number(m[2]) : undefined;
  return { message: `does not load: ${m[1]}${line !== undefined ? ` at line ${line}` : ""}`, ...(line !== undefined ? { line } : {}) };
}

export async function checkVerifier(verifier: Verifier, answer: string, verifierLine?: number): Promise<VerifierReport> {
  const started = performance.now();
  const cases = verifierCases(answer);
  const results = await verifier.gradeMany(cases.map((c) => ({ response: c.response, answer })));
  const verdicts = cases.map((c, i) => ({ case: c, result: results[i], ok: isOk(c, results[i]) }));
  const loadFailure = loadFailureOf(results[0], verifierLine);
  return { answer, verdicts, reference: verdicts[0], elapsedMs: performance.now() - started, ...(loadFailure ? { loadFailure } : {}) };
}

/** Only the reference case: what a diagnostic needs on every edit. */
export async function checkReference(verifier: Verifier, answer: string): Promise<CaseVerdict> {
  const ref = verifierCases(answer)[0];
  const result = await verifier.grade(ref.response, answer);
  return { case: ref, result, ok: isOk(ref, result) };
}

function isOk(c: VerifierCase, r: VerifyResult): boolean {
  if (r.error) return false;
  return c.expected === 1 ? r.reward >= 1 : r.reward <= 0;
}

/** Why a verifier that rejects the reference answer blocks training (editor diagnostic, `oneshot train`). */
export function referenceRejection(ref: CaseVerdict, verifierLine?: number): string {
  const failed = loadFailureOf(ref.result, verifierLine);
  if (failed) return `The custom verifier ${failed.message}: training would have no reward to learn from.`;
  const reward = ref.result.error ? "an error" : `reward ${ref.result.reward}`;
  return `The verifier gives the reference answer ${reward}, not 1: training would have nothing to learn from. ${verdictReason(ref)}`;
}

/** One line for a verdict, e.g. "✓ different number → 0" or "✗ unboxed answer → 1 (should be 0)". */
export function verdictTitle(v: CaseVerdict): string {
  const reward = Number.isInteger(v.result.reward) ? String(v.result.reward) : v.result.reward.toFixed(2);
  const should = v.ok ? "" : ` (should be ${v.case.expected})`;
  return `${v.ok ? "✓" : "✗"} ${v.case.label} → ${v.result.error ? "error" : reward}${should}`;
}

/** Why, for a hover: the verifier's reason, its error if any, and what was extracted. */
export function verdictReason(v: CaseVerdict): string {
  const extracted = v.result.extracted === null ? "nothing extracted" : `extracted \`${v.result.extracted}\``;
  const error = v.result.error ? ` Error: ${v.result.error}.` : "";
  return `${v.case.purpose} Verifier: ${v.result.reason} (${extracted}).${error}`;
}
