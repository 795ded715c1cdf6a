// One run directory as the monitor sees it: its event log tailed into a RunModel, its observed
// status (the `status`/`pid` files, else the log), its resolved config and its rollout pages.
// The tree, the status bar and every dashboard share one tracker per run.
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { ObservedRunStatus } from "../run/events";
import { observeRunStatus, readPid, runFiles, isPidAlive } from "../run/runDir";
import { RunModel } from "./reducer";
import { RolloutReader, type RolloutFilter, type RolloutPage } from "./rollouts";
import { EventTail, type TailChunk } from "./tail";
import { EventLogError } from "../run/eventLog";

const STARTING_GRACE_MS = 30_000;

export class RunTracker {
  readonly model = new RunModel();
  readonly id: string;
  private readonly tail: EventTail;
  private readonly reader: RolloutReader;
  private statusValue: ObservedRunStatus = "interrupted";
  private configCache?: { mtimeMs: number; value: unknown };
  /** Bumped whenever anything visible changed. */
  revision = 0;
  /** Why the event log cannot be read ("events.jsonl is a directory, not a file"); else undefined. */
  problem?: string;

  constructor(readonly dir: string) {
    this.id = path.basename(dir);
    const files = runFiles(dir);
    this.tail = new EventTail(files.events);
    this.reader = new RolloutReader(files.events);
  }

  get status(): ObservedRunStatus {
    return this.statusValue;
  }

  /** Reads what was appended and re-observes the status; true when something changed. */
  refresh(): boolean {
    const chunk = this.readLog();
    if (chunk.reset) {
      this.model.reset();
      this.reader.clear();
    }
    this.model.apply(chunk.events);
    this.model.addRolloutLines(chunk.rolloutLines);
    const status = this.observeStatus();
    const changed = chunk.reset || chunk.events.length > 0 || chunk.rolloutLines.length > 0 || status !== this.statusValue || chunk.problemChanged;
    this.statusValue = status;
    if (changed) this.revision++;
    return changed;
  }

  /** What was appended; an unreadable log (a directory, no permission) flags this run instead of throwing. */
  private readLog(): TailChunk & { problemChanged: boolean } {
    const before = this.problem;
    try {
      const chunk = this.tail.read();
      this.problem = undefined;
      return { ...chunk, problemChanged: before !== undefined };
    } catch (e) {
      if (!(e instanceof EventLogError)) throw e;
      this.problem = e.short;
      return { events: [], rolloutLines: [], skipped: 0, reset: false, problemChanged: before !== e.short };
    }
  }

  private observeStatus(): ObservedRunStatus {
    const fromFiles = observeRunStatus(this.dir);
    if (fromFiles) return fromFiles;
    // No `status` file (an older or foreign writer): the log and the pid decide.
    if (this.model.finished) return this.model.finished.status;
    const pid = readPid(this.dir) ?? this.model.started?.pid;
    if (pid !== undefined) return isPidAlive(pid) ? "running" : "interrupted";
    // A controller writes config.json first and its pid and status a moment later: a run that
    // has only just appeared is starting, not dead.
    return Date.now() - this.startedAt() < STARTING_GRACE_MS ? "running" : "interrupted";
  }

  /** The resolved `config.json`, re-read when it changes; undefined when missing or unreadable. */
  config(): unknown {
    const file = runFiles(this.dir).config;
    try {
      const { mtimeMs } = statSync(file);
      if (this.configCache?.mtimeMs !== mtimeMs)
        this.configCache = { mtimeMs, value: JSON.parse(readFileSync(file, "utf8")) as unknown };
      return this.configCache.value;
    } catch {
      return undefined;
    }
  }

  rolloutPage(step: number, filter: RolloutFilter, offset: number, limit: number): RolloutPage | undefined {
    const refs = this.model.rollouts.get(step);
    if (!refs) return undefined;
    return this.reader.page(step, refs, filter, offset, limit);
  }

  /** When the run began, for ordering: its first event, else the directory's mtime. */
  startedAt(): number {
    if (this.model.started) return this.model.started.t;
    try {
      return statSync(this.dir).mtimeMs;
    } catch {
      return 0;
    }
  }
}
