// Which runs just ended, for the editor's notification: each ending announced once, and only
// endings that happened while this window watched (a run that ended before the window opened is
// old news). A run_finished event newer than the watch's start counts, also for a run first seen
// already finished (a start that failed within one poll); a run whose controller vanished counts
// when it was seen running before. A resumed run that ends again is a new ending.
import type { RunHeadline } from "../../protocol/messages";
import type { ObservedRunStatus } from "../run/events";

/** What the watch needs of a run (RunTracker has it). */
export interface WatchedRun {
  dir: string;
  id: string;
  status: ObservedRunStatus;
  model: { headline(): RunHeadline; started?: { resumed: boolean } };
}

export interface Ending {
  dir: string;
  id: string;
  status: Exclude<ObservedRunStatus, "running">;
  severity: "info" | "warning" | "error";
  /** One sentence, e.g. "Run pipe-… completed 40/40 steps: synthetic 37.5% → 74.1%." */
  message: string;
  /** For failures: what the user can do, from the run's run_finished event. */
  hint?: string;
}

export class EndingWatch {
  private readonly last = new Map<string, { status: ObservedRunStatus; finishedAt?: number }>();

  constructor(private readonly since: number) {}

  /** The endings among `runs` not announced yet. */
  check(runs: readonly WatchedRun[]): Ending[] {
    const out: Ending[] = [];
    for (const r of runs) {
      const prev = this.last.get(r.dir);
      const h = r.model.headline();
      const finishedAt = h.finished?.t;
      this.last.set(r.dir, { status: r.status, finishedAt });
      if (r.status === "running") continue;
      const newFinish = finishedAt !== undefined && finishedAt >= this.since && finishedAt !== prev?.finishedAt;
      const vanished = r.status === "interrupted" && prev?.status === "running";
      if (newFinish || vanished) out.push(endingOf(r, r.status, h));
    }
    return out;
  }
}

export function endingOf(r: WatchedRun, status: Ending["status"], h: RunHeadline): Ending {
  const steps = `${h.step}/${h.totalSteps || "?"} steps`;
  const again = r.model.started?.resumed ? " again after resuming" : "";
  const base = { dir: r.dir, id: r.id, status };
  switch (status) {
    case "completed": {
      const b = h.benchmarks[0];
      const gain = b ? `: ${b.benchmark} ${b.initial !== null ? `${pct(b.initial)} → ` : ""}${pct(b.last)}` : "";
      return { ...base, severity: "info", message: `Run ${r.id} completed ${steps}${gain}.` };
    }
    case "stopped":
      return { ...base, severity: "info", message: `Run ${r.id} stopped at ${steps}.` };
    case "failed": {
      const error = h.finished?.error ?? h.lastError?.message ?? "no error was recorded";
      return { ...base, severity: "error", message: `Run ${r.id} failed${again} at ${steps}: ${error}`, ...(h.finished?.hint ? { hint: h.finished.hint } : {}) };
    }
    case "interrupted":
      return { ...base, severity: "warning", message: `Run ${r.id} was interrupted at ${steps}: its controller is gone (see controller.log in the run folder).` };
  }
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
