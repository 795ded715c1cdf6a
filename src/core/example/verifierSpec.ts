// Which verifier grades an example: `verifier: custom`, or no `verifier` key with a verifier
// block, means the block's JavaScript; otherwise the named built-in, math by default. The run
// configuration (resolve.ts) and the editor's checks both ask this one function.
import type { BuiltinVerifierKind, VerifierSpec } from "../verifier/api";
import type { ParsedExample } from "./parse";

export function verifierSpecOf(example: Pick<ParsedExample, "frontMatter" | "verifierSource">): VerifierSpec {
  const named = example.frontMatter.verifier as BuiltinVerifierKind | "custom" | undefined;
  const source = example.verifierSource;
  if (source !== undefined && (named === "custom" || named === undefined)) return { kind: "custom", source };
  return { kind: named && named !== "custom" ? named : "math" };
}
