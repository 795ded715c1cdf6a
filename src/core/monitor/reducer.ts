// The event reducer: folds a run's events (in log order) into what the monitor shows — chart
// columns, eval points, checkpoints, the rollout index and the run's headline numbers. Consumers
// (tree, status bar, each dashboard) read deltas through a cursor, so a live run costs only what
// was appended. A resumed run rewinds: the log keeps the steps past the checkpoint it resumed
// from, and the new process re-logs them, so everything after `start_step` is dropped first.
import type {
  CheckpointEvent,
  LogEvent,
  PhaseEvent,
  RunEvent,
  RunFinishedEvent,
  RunStartedEvent,
  StepEvent,
} from "../run/events";
import type { BenchmarkHeadline, RunHeadline } from "../../protocol/messages";
import { estimateEta } from "./eta";
import { METRIC_KEYS, type EvalSeries, type MetricKey, type SeriesDelta } from "../../protocol/series";
import type { RolloutLineRef } from "./types";

export interface SeriesCursor {
  epoch: number;
  steps: number;
  evals: Map<string, number>;
}

const MAX_LOGS = 200;

export class RunModel {
  started?: RunStartedEvent;
  finished?: RunFinishedEvent;
  totalSteps = 0;
  /** Bumped on every rewind or reset; cursors from an older epoch get a full reset. */
  epoch = 0;
  steps: number[] = [];
  times: number[] = [];
  metrics = newColumns();
  evals = new Map<string, EvalSeries>();
  checkpoints: CheckpointEvent[] = [];
  logs: LogEvent[] = [];
  /** How many `log` events were applied in all (`logs` keeps the last MAX_LOGS). */
  logCount = 0;
  /** The latest start-up phase, until the next step or the run's end. */
  phase?: PhaseEvent;
  /** step → the `rollouts` lines recorded for it, in log order. */
  rollouts = new Map<number, RolloutLineRef[]>();
  private firstEval = new Map<string, number | null>();

  reset(): void {
    const epoch = this.epoch + 1;
    Object.assign(this, new RunModel());
    this.epoch = epoch;
  }

  apply(events: readonly RunEvent[]): void {
    for (const e of events) this.applyOne(e);
  }

  addRolloutLines(refs: readonly RolloutLineRef[]): void {
    for (const r of refs) {
      const list = this.rollouts.get(r.step);
      if (list) list.push(r);
      else this.rollouts.set(r.step, [r]);
    }
  }

  get lastStep(): number {
    return this.steps.length ? this.steps[this.steps.length - 1] : (this.started?.start_step ?? 0);
  }

  rolloutSteps(): number[] {
    return [...this.rollouts.keys()].sort((a, b) => a - b);
  }

  private applyOne(e: RunEvent): void {
    switch (e.type) {
      case "run_started":
        if (e.resumed || this.steps.length) this.rewindTo(e.start_step);
        this.started = e;
        this.finished = undefined;
        this.totalSteps = e.total_steps;
        break;
      case "step":
        if (this.steps.length && e.step <= this.lastStep) this.rewindTo(e.step - 1);
        this.pushStep(e);
        this.phase = undefined;
        break;
      case "phase":
        // A phase after the run's end is a new start of it (a resume) whose run_started is yet to come.
        this.finished = undefined;
        this.phase = e;
        break;
      case "eval": {
        let s = this.evals.get(e.benchmark);
        if (!s) {
          s = { benchmark: e.benchmark, metric: e.metric, n: e.n, steps: [], values: [] };
          this.evals.set(e.benchmark, s);
        }
        if (!this.firstEval.has(e.benchmark)) this.firstEval.set(e.benchmark, e.step === 0 ? e.value : null);
        s.metric = e.metric;
        s.n = e.n;
        s.steps.push(e.step);
        s.values.push(e.value);
        break;
      }
      case "checkpoint":
        this.checkpoints.push(e);
        break;
      case "log":
        this.logCount++;
        this.logs.push(e);
        if (this.logs.length > MAX_LOGS) this.logs.splice(0, this.logs.length - MAX_LOGS);
        break;
      case "run_finished":
        this.finished = e;
        this.phase = undefined;
        break;
      case "rollouts":
        // Normally indexed by the tail without parsing; a hand-fed event has no file position.
        break;
    }
  }

  private pushStep(e: StepEvent): void {
    this.steps.push(e.step);
    this.times.push(e.t);
    if (e.total_steps) this.totalSteps = e.total_steps;
    for (const k of METRIC_KEYS) {
      const v = (e as unknown as Record<string, unknown>)[k];
      this.metrics[k].push(typeof v === "number" && Number.isFinite(v) ? v : null);
    }
  }

  /** Drops every step, eval, checkpoint and rollout record after `step`. */
  private rewindTo(step: number): void {
    let keep = this.steps.length;
    while (keep > 0 && this.steps[keep - 1] > step) keep--;
    const evalsChange = [...this.evals.values()].some((s) => s.steps.some((x) => x > step));
    if (keep === this.steps.length && !evalsChange) return;
    this.steps.length = keep;
    this.times.length = keep;
    for (const k of METRIC_KEYS) this.metrics[k].length = keep;
    for (const s of this.evals.values()) {
      let n = s.steps.length;
      while (n > 0 && s.steps[n - 1] > step) n--;
      s.steps.length = n;
      s.values.length = n;
    }
    this.checkpoints = this.checkpoints.filter((c) => c.step <= step);
    for (const k of [...this.rollouts.keys()]) if (k > step) this.rollouts.delete(k);
    this.epoch++;
  }

  /** Everything a consumer at `cursor` has not seen; advances the cursor. */
  deltaSince(cursor: SeriesCursor): SeriesDelta {
    const reset = cursor.epoch !== this.epoch;
    if (reset) {
      cursor.epoch = this.epoch;
      cursor.steps = 0;
      cursor.evals.clear();
    }
    const from = cursor.steps;
    const metrics = {} as Record<MetricKey, (number | null)[]>;
    for (const k of METRIC_KEYS) metrics[k] = this.metrics[k].slice(from);
    const evals: EvalSeries[] = [];
    for (const s of this.evals.values()) {
      const seen = cursor.evals.get(s.benchmark) ?? 0;
      if (seen < s.steps.length || reset)
        evals.push({ ...s, steps: s.steps.slice(seen), values: s.values.slice(seen) });
      cursor.evals.set(s.benchmark, s.steps.length);
    }
    cursor.steps = this.steps.length;
    return { reset, steps: this.steps.slice(from), t: this.times.slice(from), metrics, evals };
  }

  headline(): RunHeadline {
    const last = this.steps.length - 1;
    const benchmarks: BenchmarkHeadline[] = [];
    for (const s of this.evals.values()) {
      if (!s.values.length) continue;
      let best = 0;
      for (let i = 1; i < s.values.length; i++) if (s.values[i] > s.values[best]) best = i;
      benchmarks.push({
        benchmark: s.benchmark,
        metric: s.metric,
        n: s.n,
        initial: this.firstEval.get(s.benchmark) ?? null,
        last: s.values[s.values.length - 1],
        lastStep: s.steps[s.steps.length - 1],
        best: s.values[best],
        bestStep: s.steps[best],
      });
    }
    const running = !this.finished;
    return {
      runId: this.started?.run_id,
      model: this.started?.model,
      preset: this.started?.preset,
      example: this.started?.example,
      device: this.started?.engine?.device,
      startedAt: this.started?.t,
      step: this.lastStep,
      totalSteps: this.totalSteps,
      lastReward: last >= 0 ? this.metrics.reward_mean[last] : null,
      lastAccuracy: last >= 0 ? this.metrics.accuracy[last] : null,
      etaMs: running ? estimateEta(this.steps, this.times, this.totalSteps) : null,
      benchmarks,
      checkpoints: this.checkpoints,
      finished: this.finished,
      lastError: [...this.logs].reverse().find((l) => l.level === "error"),
      lastWarning: [...this.logs].reverse().find((l) => l.level === "warn"),
      ...(this.phase && running ? { phase: { phase: this.phase.phase, done: this.phase.done, total: this.phase.total, unit: this.phase.unit, detail: this.phase.detail } } : {}),
    };
  }
}

function newColumns(): Record<MetricKey, (number | null)[]> {
  const m = {} as Record<MetricKey, (number | null)[]>;
  for (const k of METRIC_KEYS) m[k] = [];
  return m;
}

export function newCursor(): SeriesCursor {
  return { epoch: -1, steps: 0, evals: new Map() };
}
