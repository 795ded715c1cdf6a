export interface SessionOutcome {
  exitCode: number | null;
  timedOut: boolean;
  result: { passed: number; failed: number; pending?: number } | null;
}
export function verdict(outcome: SessionOutcome): { ok: boolean; why: string };
