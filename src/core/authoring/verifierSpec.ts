// The verifier an example asks for, by the rule the run configuration uses (resolveConfig in
// src/core/example): `verifier: custom`, or no `verifier` key with a verifier block, means the
// block's JavaScript; otherwise the named built-in, math by default.
import type { ParsedExample } from "../example";
import type { BuiltinVerifierKind, VerifierSpec } from "../verifier/api";

export function verifierSpecOf(example: Pick<ParsedExample, "frontMatter" | "verifierSource">): VerifierSpec {
  const named = example.frontMatter.verifier as BuiltinVerifierKind | "custom" | undefined;
  const source = example.verifierSource;
  if (source !== undefined && (named === "custom" || named === undefined)) return { kind: "custom", source };
  return { kind: named && named !== "custom" ? named : "math" };
}
