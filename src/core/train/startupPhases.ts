// The start-up phases of a run as `phase` events (starting → loading N/M files → compiling →
// evaluating k/n → training), so the editor shows what a starting run does instead of "step 0".
// Only until the first step: after it, `step` events say how the run goes. Progress within a phase
// is written at most once a second (the event log is a record, not a progress bar), its first and
// last value always.
import type { PhaseEvent, RunEventInput } from "../run/events";

type Phase = Omit<RunEventInput<PhaseEvent>, "type">;

const MIN_INTERVAL_MS = 1000;

export class StartupPhases {
  private active = true;
  private lastKey?: string;
  private lastT = 0;
  private loadingWhat?: string;

  constructor(
    private readonly append: (e: RunEventInput<PhaseEvent>) => void,
    private readonly now: () => number = Date.now,
  ) {}

  phase(p: Phase): void {
    if (!this.active) return;
    const key = `${p.phase}\0${p.detail ?? ""}`;
    const t = this.now();
    const edge = key !== this.lastKey || !p.done || p.done === p.total;
    if (!edge && t - this.lastT < MIN_INTERVAL_MS) return;
    this.lastKey = key;
    this.lastT = t;
    this.append({ type: "phase", ...p });
  }

  /** The model (or checkpoint) about to load; the engine's weight-file progress names it. */
  loading(what: string): void {
    this.loadingWhat = what;
    this.phase({ phase: "loading", detail: what });
  }

  /** The engine's progress notifications that belong to start-up: weight files read, kernels compiled. */
  engineProgress(phase: string, done: number, total: number): void {
    if (phase === "load_weights") this.phase({ phase: "loading", ...(this.loadingWhat ? { detail: this.loadingWhat } : {}), done, total, unit: "files" });
    else if (phase === "compile") this.phase({ phase: "compiling" });
  }

  /** Start-up is over (the first step begins): later phases are not recorded. */
  end(): void {
    this.active = false;
  }
}
