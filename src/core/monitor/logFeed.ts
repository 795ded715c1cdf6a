// What the dashboard's Log tab receives: the run's `log` events and the text appended to its
// controller.log (the detached controller's output: one line per step, evaluation and log
// message, and an internal error's stack), each only once. The first read of controller.log
// starts at its last 64 KiB: a long run's whole log is not shipped to the webview.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { LogEvent } from "../run/events";
import type { RunModel } from "./reducer";

export const CONTROLLER_LOG_TAIL_BYTES = 64 * 1024;

export interface LogDelta {
  /** The receiver drops what it holds first (a new session, a rewound model, a truncated file). */
  reset: boolean;
  events: LogEvent[];
  controller: string;
}

export class LogFeed {
  private seen = 0;
  private offset = -1;

  constructor(private readonly controllerLog: string) {}

  /** Everything new since the last call; the first call (and one after restart()) has reset set. */
  next(model: RunModel): LogDelta {
    let reset = this.offset < 0;
    if (model.logCount < this.seen) reset = true;
    if (reset) this.seen = 0;
    const fresh = model.logCount - this.seen;
    const events = fresh > 0 ? model.logs.slice(Math.max(0, model.logs.length - fresh)) : [];
    this.seen = model.logCount;
    const { text, truncated } = this.readController();
    return { reset: reset || truncated, events: truncated && !reset ? model.logs.slice() : events, controller: text };
  }

  /** Starts over (a reloaded webview). */
  restart(): void {
    this.offset = -1;
    this.seen = 0;
  }

  private readController(): { text: string; truncated: boolean } {
    let size: number;
    try {
      size = statSync(this.controllerLog).size;
    } catch {
      // Not written yet: whatever comes later is new.
      this.offset = 0;
      return { text: "", truncated: false };
    }
    let truncated = false;
    if (size < this.offset) {
      truncated = true;
      this.offset = 0;
    }
    const tail = this.offset < 0 && size > CONTROLLER_LOG_TAIL_BYTES;
    const from = tail ? size - CONTROLLER_LOG_TAIL_BYTES : Math.max(0, this.offset);
    this.offset = size;
    if (size <= from) return { text: "", truncated };
    const buf = Buffer.alloc(size - from);
    const fd = openSync(this.controllerLog, "r");
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
    const text = buf.toString("utf8");
    // A tail that starts inside a line starts at the next one.
    return { text: tail ? text.slice(text.indexOf("\n") + 1) : text, truncated };
  }
}
