// What a run's row in the Runs view says. A sidebar shows about 40 characters, so the row leads
// with what a user scans for: which problem it trained (the label), then its status, its gain on
// the first benchmark and its step; the timestamp that tells two runs of one example apart comes
// last, and the tooltip keeps the rest.
import type { ObservedRunStatus } from "../run/events";
import type { RunHeadline } from "../../protocol/messages";
import { exampleStem } from "../run/runId";
import { phaseText } from "../../protocol/phase";

export interface RunRowInput {
  /** The run directory's name: `<YYYYMMDD-HHMMSS>-<example stem>` for runs the CLI created. */
  id: string;
  status: ObservedRunStatus;
  problem?: string;
  headline: RunHeadline;
}

const STAMPED = /^(\d{8})-(\d{6})-(.+)$/;

/** The example's name: from the run's `run_started` event, else from its id, else the id. */
export function runLabel(r: RunRowInput): string {
  if (r.headline.example) return exampleStem(r.headline.example);
  return STAMPED.exec(r.id)?.[3] ?? r.id;
}

/** "+36.6 pts" for the first benchmark's change from step 0 to its latest evaluation, when both exist. */
export function firstBenchmarkGain(h: RunHeadline): string | undefined {
  const b = h.benchmarks[0];
  if (!b || b.initial === null || b.lastStep === 0) return undefined;
  const d = 100 * (b.last - b.initial);
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)} pts`;
}

/** "12-02 03:58" from a stamped run id, so two runs of one example differ in their rows. */
function stampOf(id: string): string | undefined {
  const m = STAMPED.exec(id);
  return m ? `${m[1]!.slice(4, 6)}-${m[1]!.slice(6, 8)} ${m[2]!.slice(0, 2)}:${m[2]!.slice(2, 4)}` : undefined;
}

export function runRowDescription(r: RunRowInput): string {
  if (r.problem) return `unreadable: ${r.problem}`;
  const h = r.headline;
  const parts: string[] = [r.status];
  const gain = firstBenchmarkGain(h);
  if (gain) parts.push(gain);
  // Before its first step a starting run says what it is doing, not "step 0/?".
  if (r.status === "running" && h.phase && h.step === 0) parts.push(phaseText(h.phase));
  else parts.push(`step ${h.step}/${h.totalSteps || "?"}`);
  const stamp = stampOf(r.id);
  if (stamp) parts.push(stamp);
  return parts.join(" · ");
}
