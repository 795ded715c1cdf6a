// The verifier's public contract, used by training rewards, evaluation, the editor's
// "Test verifier" and `oneshot verify`. Implementation in this folder; index.ts re-exports.

/** Built-in verifiers; "custom" runs the example's fenced `verifier` block in a sandbox. */
export type BuiltinVerifierKind = "math" | "numeric" | "exact" | "choice";
export type VerifierKind = BuiltinVerifierKind | "custom";

export type VerifierSpec = { kind: BuiltinVerifierKind } | { kind: "custom"; source: string };

export interface VerifyResult {
  correct: boolean;
  /** In [0, 1]; built-ins give 0 or 1. */
  reward: number;
  /** The answer taken from the response, or null when none was found. */
  extracted: string | null;
  /** Why: e.g. "equal as exact rationals", "no final answer found", "verifier timed out". */
  reason: string;
  /** Set when a custom verifier failed (threw, timed out, returned a non-number). */
  error?: string;
}

export interface VerifierOptions {
  /** Per-call limit for custom verifiers, ms. */
  timeoutMs?: number;
  /** Heap limit of the custom-verifier sandbox process, MiB. */
  memoryMb?: number;
  /** The bundled sandbox script (dist/verifier-sandbox.cjs); default: beside the running bundle. */
  sandboxPath?: string;
  /**
   * Built-in kinds: accept only a final answer inside \boxed{} (the paper's reward, and what the
   * prompt asks for); "The answer is 7." then scores 0. Default false: the documented fallbacks count.
   */
  boxedOnly?: boolean;
}

/** Grades responses against a reference answer. Never throws for bad responses or verifier code. */
export interface Verifier {
  grade(response: string, answer: string): Promise<VerifyResult>;
  gradeMany(items: { response: string; answer: string }[]): Promise<VerifyResult[]>;
  /** Ends the sandbox process, if any. */
  dispose(): Promise<void>;
}
