// Incremental reader of a live `events.jsonl` that also indexes where each `rollouts` line lies.
// Rollout lines hold most of a log's bytes (100k rollout texts in a long run), so they are not
// parsed while tailing: a cheap look at the line's head finds its step, and the bytes are read
// again only when a page of that step is requested. Other lines go through the same validation
// as `readEvents` (src/core/run/eventLog.ts); a torn last line is left for the next read.
import { closeSync, openSync, readSync } from "node:fs";
import { openLog } from "../run/eventLog";
import { isRunEvent, type RunEvent } from "../run/events";
import type { RolloutLineRef } from "./types";

export type { RolloutLineRef };

export interface TailChunk {
  events: RunEvent[];
  rolloutLines: RolloutLineRef[];
  /** Complete lines that were not valid events. */
  skipped: number;
  /** The file shrank or was replaced: the caller must drop what it derived and start over. */
  reset: boolean;
}

const CHUNK = 4 << 20;
// Writers serialise `{v, t, type, step, …}` in that order (EventLogWriter spreads the event after
// the envelope); a line of another shape is simply parsed in full.
const ROLLOUT_HEAD = /^\{"v":\d+,"t":\d+(?:\.\d+)?,"type":"rollouts","step":(\d+)[,}]/;
const HEAD_BYTES = 96;

export class EventTail {
  private offset = 0;
  private ino = -1;

  constructor(readonly file: string) {}

  /** Byte offset just past the last complete line consumed. */
  get position(): number {
    return this.offset;
  }

  /**
   * Reads every complete line appended since the last call. A missing file reads as empty; one
   * that cannot be read (a directory, no permission) throws EventLogError.
   */
  read(): TailChunk {
    const log = openLog(this.file);
    if (!log) return this.missing();
    const { fd, size, ino } = log;
    try {
      let reset = false;
      // A shorter or different file (rewritten, not appended) invalidates everything read so far.
      if (size < this.offset || (this.ino !== -1 && ino !== this.ino)) {
        this.offset = 0;
        reset = true;
      }
      this.ino = ino;
      const out: TailChunk = { events: [], rolloutLines: [], skipped: 0, reset };
      // Each read starts at the first unconsumed byte: a line cut by the chunk's end is read again
      // by the next read instead of being copied around; a line longer than the buffer grows it.
      let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size - this.offset, 1)));
      while (this.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
        if (n <= 0) break;
        const view = buf.subarray(0, n);
        let start = 0;
        for (let nl = view.indexOf(10, start); nl !== -1; nl = view.indexOf(10, start)) {
          this.consumeLine(view, start, nl, this.offset + start, out);
          start = nl + 1;
        }
        if (start === 0) {
          if (this.offset + n >= size) break; // a torn last line: wait for the rest
          buf = Buffer.allocUnsafe(buf.length * 2);
          continue;
        }
        this.offset += start;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  private missing(): TailChunk {
    const reset = this.offset > 0;
    this.offset = 0;
    this.ino = -1;
    return { events: [], rolloutLines: [], skipped: 0, reset };
  }

  private consumeLine(data: Buffer, start: number, end: number, fileOffset: number, out: TailChunk): void {
    if (end - start < 2) return;
    const head = data.toString("latin1", start, Math.min(end, start + HEAD_BYTES));
    const m = ROLLOUT_HEAD.exec(head);
    if (m) {
      out.rolloutLines.push({ step: Number(m[1]), offset: fileOffset, length: end - start });
      return;
    }
    const line = data.toString("utf8", start, end).trim();
    if (!line) return;
    const ev = parseEvent(line);
    if (!ev) out.skipped++;
    else if (ev.type === "rollouts") out.rolloutLines.push({ step: ev.step, offset: fileOffset, length: end - start });
    else out.events.push(ev);
  }
}

export function parseEvent(line: string): RunEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRunEvent(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Reads and parses the lines `refs` point at (one step's rollout records). */
export function readLines(file: string, refs: readonly RolloutLineRef[]): RunEvent[] {
  if (!refs.length) return [];
  const fd = openSync(file, "r");
  try {
    const out: RunEvent[] = [];
    for (const r of refs) {
      const buf = Buffer.allocUnsafe(r.length);
      readSync(fd, buf, 0, r.length, r.offset);
      const ev = parseEvent(buf.toString("utf8"));
      if (ev) out.push(ev);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
