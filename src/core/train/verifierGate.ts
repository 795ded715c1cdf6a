// The check `oneshot train` makes before a run starts, the same one the editor's Test Verifier
// and "Train" make: the verifier must load and give the reference answer full reward. A verifier
// that fails it would grade every rollout 0 and the run would learn from the entropy bonus alone.
import { checkJsSyntax } from "../authoring/jsSyntax";
import { checkReference, referenceRejection } from "../authoring/verifierCheck";
import type { ParsedExample } from "../example/parse";
import type { Verifier, VerifierSpec } from "../verifier/api";

/** `file:line:column: why` when the verifier fails the check; undefined when it passes. */
export async function verifierRefusal(
  example: Pick<ParsedExample, "verifierSource" | "verifierLine" | "answerLine">,
  displayFile: string,
  spec: VerifierSpec,
  answer: string,
  makeVerifier: (spec: VerifierSpec) => Verifier,
): Promise<string | undefined> {
  if (spec.kind === "custom") {
    const syntax = checkJsSyntax(spec.source);
    if (syntax) {
      // verifierLine is the opening fence; the source starts on the line after it.
      const line = (example.verifierLine ?? 0) + 1 + syntax.line;
      return `${displayFile}:${line}:${syntax.column + 1}: Verifier JavaScript: ${syntax.message}.`;
    }
  }
  const verifier = makeVerifier(spec);
  try {
    const ref = await checkReference(verifier, answer);
    if (ref.ok) return undefined;
    return `${displayFile}:${example.answerLine ?? 1}:1: ${referenceRejection(ref)}`;
  } finally {
    await verifier.dispose().catch(() => undefined);
  }
}
