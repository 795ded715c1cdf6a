// One line for a starting run's phase, shared by the dashboard header and the status bar:
// what a run does before its first step, with its progress where it has one.
import type { PhaseEvent } from "../core/run/events";

export type RunPhase = Pick<PhaseEvent, "phase" | "done" | "total" | "unit" | "detail">;

const WORDS: Record<RunPhase["phase"], string> = {
  starting: "starting the engine",
  loading: "loading",
  compiling: "compiling kernels",
  evaluating: "evaluating",
  training: "training",
};

/** e.g. "loading Qwen/Qwen2.5-Math-1.5B 1/2 files", "evaluating synthetic 160/320", "training step 1". */
export function phaseText(p: RunPhase): string {
  const progress = p.total ? ` ${p.done ?? 0}/${p.total}${p.unit === "files" ? " files" : ""}` : "";
  return `${WORDS[p.phase]}${p.detail ? ` ${p.detail}` : ""}${progress}`;
}

/** The phase's progress in [0, 1], or undefined when it has none. */
export function phaseFraction(p: RunPhase): number | undefined {
  return p.total ? Math.min(1, (p.done ?? 0) / p.total) : undefined;
}
