// Notices a step whose rewards are all 0 because the verifier failed the same way on every
// rollout (a custom verifier that throws, times out or cannot load): such a run learns from the
// entropy bonus alone, so the user is told at once instead of finding a flat curve later.
import type { VerifyResult } from "../verifier/api";

/** Longest part of the verifier's error quoted in the warning. */
const MAX_ERROR_CHARS = 300;

export class RewardWatch {
  private warned?: string;

  /** The warning for this step, once per run of steps that fail with the same error. */
  check(step: number, graded: readonly VerifyResult[]): string | undefined {
    const first = graded[0]?.error;
    const failing = first !== undefined && graded.every((g) => g.reward === 0 && g.error === first);
    if (!failing) {
      this.warned = undefined;
      return undefined;
    }
    if (this.warned === first) return undefined;
    this.warned = first;
    const error = first.length > MAX_ERROR_CHARS ? `${first.slice(0, MAX_ERROR_CHARS)}…` : first;
    return `Step ${step}: every reward was 0 and all ${graded.length} rollouts failed with the same verifier error (${error}), so the run learns nothing from its rewards; stop it and fix the verifier (\`oneshot verify\` or Test Verifier in the editor).`;
  }
}
