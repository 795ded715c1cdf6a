// The built-in verifier kinds by name, and the sentence for a name that is none of them. A word
// that is not a kind is never taken for a custom verifier's JavaScript: `mth` is a typo, not code.
import { closest } from "../text/closest";
import type { BuiltinVerifierKind } from "./api";

export const BUILTIN_KINDS: readonly BuiltinVerifierKind[] = ["math", "numeric", "exact", "choice"];

export function isBuiltinKind(v: string): v is BuiltinVerifierKind {
  return (BUILTIN_KINDS as readonly string[]).includes(v);
}

/** A lone word (letters, digits, - or _): what a kind name looks like, and no verifier's source. */
export function looksLikeKindName(v: string): boolean {
  return /^\s*[A-Za-z][\w-]*\s*$/.test(v);
}

/** "unknown verifier 'mth': did you mean 'math'? (use …)" */
export function unknownKind(name: string, also = "a custom verifier"): string {
  const near = closest(name.trim(), [...BUILTIN_KINDS, "custom"]);
  const hint = near ? `did you mean '${near}'? ` : "";
  return `unknown verifier '${name.trim()}': ${hint}use ${BUILTIN_KINDS.join(", ")} or ${also}`;
}
