// The check `oneshot train` makes before a run starts, the same one the editor's Test Verifier
// and "Train" make: the verifier must load and give the reference answer full reward. A verifier
// that fails it would grade every rollout 0 and the run would learn from the entropy bonus alone.
import { checkJsSyntax } from "../authoring/jsSyntax";
import { checkReference, loadFailureOf, referenceRejection } from "../authoring/verifierCheck";
import type { ParsedExample } from "../example/parse";
import type { Verifier, VerifierSpec } from "../verifier/api";

/**
 * `oneshot train`'s exit code when the verifier fails this check, so a caller (the editor's Train)
 * can offer to train anyway (`--skip-verifier-check`) without reading the sentence.
 */
export const VERIFIER_REFUSED_EXIT_CODE = 3;

/** What the refusal advises on the command line, after the reason. */
export const TRAIN_ANYWAY_ADVICE = "Fix the verifier or the answer, or train anyway with --skip-verifier-check.";

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
    // A verifier that does not load is pointed at where it breaks; one that grades wrongly, at the answer.
    const line = loadFailureOf(ref.result, example.verifierLine)?.line ?? example.answerLine ?? 1;
    return `${displayFile}:${line}:1: ${referenceRejection(ref, example.verifierLine)}`;
  } finally {
    await verifier.dispose().catch(() => undefined);
  }
}
