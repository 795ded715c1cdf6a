// What a training run holds while the controller trains it: its configuration, the event log and
// summary it writes, the checkpoints it keeps, where it started and how far it got. The controller's
// loop reads as steps over this object; everything that records goes through it.
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { TrainConfig, TrainSettings } from "../example/config";
import type { EventLogWriter } from "../run/eventLog";
import { readEvents } from "../run/eventLog";
import type { RunEvent, RunEventInput, StepEvent } from "../run/events";
import { runFiles } from "../run/layout";
import { supersede, writeJsonAtomic, type SummaryBuilder } from "../run/summary";
import { CheckpointKeeper, type SavedCheckpoint } from "./checkpoints";
import { mean } from "./metrics";

/** How many recent steps the ETA averages over. */
const ETA_WINDOW = 10;

export class RunState {
  readonly settings: TrainSettings;
  readonly files: ReturnType<typeof runFiles>;
  readonly keeper: CheckpointKeeper;
  /** The step the run (re)started after: 0, or the checkpoint a resume loaded. */
  startStep = 0;
  /** The last step trained and recorded. */
  done = 0;
  private readonly stepTimes: number[] = [];

  constructor(
    readonly config: TrainConfig,
    readonly runDir: string,
    readonly events: EventLogWriter,
    readonly summary: SummaryBuilder,
    resume: boolean,
  ) {
    this.settings = config.settings;
    this.files = runFiles(runDir);
    this.keeper = new CheckpointKeeper(this.settings.keep_checkpoints);
    if (resume) this.keeper.restore(savedCheckpoints(readEvents(this.files.events).events, runDir), summary.bestStep() ?? undefined);
  }

  /** Appends an event and folds it into the summary. */
  emit<E extends RunEventInput>(e: E, sync = false): RunEvent {
    const full = this.events.append(e, sync);
    this.summary.add(full);
    return full;
  }

  /** summary.json as of now, for readers while the run goes on. */
  writeSummary(): void {
    writeJsonAtomic(this.files.summary, this.summary.build("running"));
  }

  startAt(step: number): void {
    this.startStep = step;
    this.done = step;
  }

  /** Records a trained step; returns its event and the estimated seconds left. */
  recordStep(step: StepEventInput, rollouts: RunEventInput, seconds: number): { event: StepEvent; etaS: number } {
    this.stepTimes.push(seconds);
    const event = this.emit(step) as StepEvent;
    this.emit(rollouts);
    this.done = step.step;
    return { event, etaS: mean(this.stepTimes.slice(-ETA_WINDOW)) * (this.settings.steps - step.step) };
  }

  isLast(step: number): boolean {
    return step === this.settings.steps;
  }
}

type StepEventInput = RunEventInput<StepEvent>;

/** Checkpoints that a run's log recorded and its directory still holds, honouring resumes. */
export function savedCheckpoints(events: readonly RunEvent[], runDir: string): SavedCheckpoint[] {
  const byStep = new Map<number, SavedCheckpoint>();
  for (const e of supersede(events)) {
    if (e.type !== "checkpoint" || !existsSync(path.join(runDir, e.path))) continue;
    const resumable = e.resumable ?? e.reason !== "best";
    const prev = byStep.get(e.step);
    byStep.set(e.step, { step: e.step, path: e.path, resumable: resumable || !!prev?.resumable });
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
