// Messages between the extension and the dashboard webview: one discriminated union per
// direction, declared once and imported by both sides. The webview speaks first (`ready`); the
// extension answers with `init` and then streams `update`s. Rollouts cross only as pages the
// webview asks for, so a long run never ships its whole log to the webview.
// A leaf: the monitor (src/core/monitor) and the webview import these types, never the other way
// round; besides ./series it imports only the event schema, which imports nothing.
import type { CheckpointEvent, LogEvent, ObservedRunStatus, RolloutRecord, RunFinishedEvent } from "../core/run/events";
import type { RunPhase } from "./phase";
import type { SeriesDelta } from "./series";

export interface BenchmarkHeadline {
  benchmark: string;
  metric: string;
  n: number;
  initial: number | null;
  last: number;
  lastStep: number;
  best: number;
  bestStep: number;
}

export interface RunHeadline {
  runId?: string;
  model?: string;
  preset?: string;
  example?: string;
  device?: string;
  startedAt?: number;
  step: number;
  totalSteps: number;
  lastReward: number | null;
  lastAccuracy: number | null;
  /** Estimated milliseconds to the last step, when enough steps were timed. */
  etaMs: number | null;
  benchmarks: BenchmarkHeadline[];
  checkpoints: CheckpointEvent[];
  finished?: RunFinishedEvent;
  lastError?: LogEvent;
  /** The latest warning (e.g. every reward of a step was 0 from one verifier error), shown above the charts. */
  lastWarning?: LogEvent;
  /** While a running run starts up (before its first step of this start): what it is doing. */
  phase?: RunPhase;
}

export type RolloutFilter = "all" | "correct" | "incorrect";

export interface RolloutPage {
  step: number;
  prompt: string;
  answer: string;
  /** Rollouts the step produced (the log may record a sample of them). */
  produced: number;
  recorded: number;
  correct: number;
  filter: RolloutFilter;
  /** Rollouts of the step that pass the filter. */
  matching: number;
  offset: number;
  rollouts: RolloutRecord[];
}

/** What the dashboard header shows about a run. */
export interface RunInfo {
  runId: string;
  runDir: string;
  status: ObservedRunStatus;
  headline: RunHeadline;
  /** For a run that ended short: resume (an intact resumable checkpoint exists) or retry (same config, new run). */
  recovery?: "resume" | "retry";
}

/** A run the user can overlay for comparison. */
export interface RunChoice {
  runDir: string;
  runId: string;
  status: ObservedRunStatus;
}

/** One row of the before/after table: a benchmark as a whole ("all") or one of its sub-skills. */
export interface ResultsRow {
  benchmark: string;
  group: string;
  n: number;
  before: number;
  after: number;
}

/** Problems whose score moved between the first and the last evaluation of a benchmark. */
export interface ResultsFlips {
  benchmark: string;
  from: number;
  to: number;
  gained: string[];
  lost: string[];
}

/** The dashboard's Results tab: what `oneshot report` says about the evaluations. */
export interface RunResults {
  /** Steps compared (the first and the last evaluation); absent before a second evaluation. */
  firstStep?: number;
  lastStep?: number;
  rows: ResultsRow[];
  flips: ResultsFlips[];
}

export type RunCommand = "stop" | "resume" | "reveal" | "try" | "report" | "retry";
export type ExportFormat = "csv" | "json";

/** Webview → extension. */
export type WebviewToExtension =
  | { type: "ready" }
  | { type: "error"; message: string }
  /** The charts drew the first `points` steps (lets the extension, and its tests, see the page work). */
  | { type: "rendered"; points: number }
  | { type: "requestRollouts"; requestId: number; step: number; filter: RolloutFilter; offset: number; limit: number }
  | { type: "setOverlay"; runDir: string | null }
  /** The Results tab is shown: send the results now and again whenever they change. */
  | { type: "requestResults" }
  | { type: "export"; format: ExportFormat }
  | { type: "command"; command: RunCommand };

/** Extension → webview. */
export type ExtensionToWebview =
  | {
      type: "init";
      run: RunInfo;
      config: unknown;
      /** The training prompt as the model sees it, once the run recorded it. */
      trainingPrompt?: string;
      series: SeriesDelta;
      /** Steps with recorded rollouts, ascending. */
      rolloutSteps: number[];
      runs: RunChoice[];
    }
  | {
      type: "update";
      run: RunInfo;
      series: SeriesDelta;
      /** Newly recorded rollout steps; when `series.reset`, the whole list. */
      rolloutSteps: number[];
    }
  | { type: "config"; config: unknown; trainingPrompt?: string }
  | { type: "runs"; runs: RunChoice[] }
  | { type: "rollouts"; requestId: number; page: RolloutPage | null }
  | { type: "overlay"; runId: string | null; series: SeriesDelta | null }
  /** The Log tab: new `log` events and new controller.log text (`reset`: drop what is shown first). */
  | { type: "log"; reset: boolean; events: LogEvent[]; controller: string }
  | { type: "results"; results: RunResults | null; error?: string };

/** What the webview keeps across reloads (vscode.setState); the serializer reads `runDir`. */
export interface DashboardState {
  runDir: string;
  tab?: string;
  smoothing?: number;
  filter?: RolloutFilter;
  overlay?: string | null;
}
