// Reading and appending `events.jsonl`. Writers append whole lines; readers read by byte offset
// so a live log is tailed incrementally, skip a torn last line (it is re-read once complete) and
// ignore unknown event types.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import * as path from "node:path";
import { writingTo } from "./diskFull";
import { isRunEvent, SCHEMA_VERSION, type RunEvent, type RunEventInput } from "./events";

export class EventLogWriter {
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, "a+");
    // A controller killed mid-write leaves a torn last line; a resumed run must not glue its first
    // event onto it (readers would drop both), so it starts on a fresh line.
    const size = fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== 10) writingTo(file, () => writeSync(this.fd, "\n"));
    }
  }

  /** Appends one event; `sync` forces it to disk (used at checkpoints and at the end). */
  append<E extends RunEventInput>(event: E, sync = false): RunEvent {
    const full = { v: SCHEMA_VERSION, t: Date.now(), ...event } as RunEvent;
    const line = Buffer.from(JSON.stringify(full) + "\n");
    writingTo(this.file, () => {
      // A nearly full disk may take part of a line: write the rest, or fail (the torn line is
      // skipped by readers and a resumed writer starts on a fresh line).
      for (let off = 0; off < line.length; ) off += writeSync(this.fd, line, off);
      if (sync) fsyncSync(this.fd);
    });
    return full;
  }

  sync(): void {
    writingTo(this.file, () => fsyncSync(this.fd));
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface ReadResult {
  events: RunEvent[];
  /** Byte offset just past the last complete line read; pass it to the next call. */
  nextOffset: number;
  /** Complete lines that were not valid JSON events (corrupt or of an unknown type). */
  skipped: number;
}

const CHUNK = 1 << 20;

/** An event log that exists but cannot be read (a directory, no permission); one sentence. */
export class EventLogError extends Error {
  constructor(
    readonly file: string,
    /** What is wrong, after the file's name: "is a directory, not a file". */
    readonly reason: string,
  ) {
    super(`${file} ${reason}`);
    this.name = "EventLogError";
  }

  /** The sentence with the file's base name, for a listing of runs. */
  get short(): string {
    return `${path.basename(this.file)} ${this.reason}`;
  }
}

function unreadable(file: string, e: unknown): EventLogError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EISDIR") return new EventLogError(file, "is a directory, not a file");
  if (code === "EACCES" || code === "EPERM") return new EventLogError(file, "cannot be read (permission denied)");
  return new EventLogError(file, `cannot be read (${code ?? (e instanceof Error ? e.message : String(e))})`);
}

/**
 * Opens an event log for reading: its descriptor and size, undefined when it does not exist.
 * Throws EventLogError when it is not a regular file or cannot be opened.
 */
export function openLog(file: string): { fd: number; size: number; ino: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw unreadable(file, e);
  }
  try {
    const st = fstatSync(fd);
    // a directory opens fine on Linux and fails only at the first read
    if (!st.isFile()) throw Object.assign(new Error("not a file"), { code: st.isDirectory() ? "EISDIR" : "ENOTFILE" });
    return { fd, size: st.size, ino: st.ino };
  } catch (e) {
    closeSync(fd);
    throw unreadable(file, e);
  }
}

/** Reads complete lines from `offset` on. A missing file reads as empty; an unreadable one throws EventLogError. */
export function readEvents(file: string, offset = 0, maxBytes = Number.POSITIVE_INFINITY): ReadResult {
  const log = openLog(file);
  if (!log) return { events: [], nextOffset: offset, skipped: 0 };
  const { fd, size } = log;
  try {
    const end = Math.min(size, offset + maxBytes);
    const events: RunEvent[] = [];
    let skipped = 0;
    let pos = offset;
    let carry = Buffer.alloc(0);
    let consumed = offset;
    while (pos < end) {
      const buf = Buffer.alloc(Math.min(CHUNK, end - pos));
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        const line = data.toString("utf8", start, nl).trim();
        start = nl + 1;
        if (!line) continue;
        const parsed = parseLine(line);
        if (parsed) events.push(parsed);
        else skipped++;
      }
      consumed = pos - (data.length - start);
      carry = Buffer.from(data.subarray(start));
    }
    return { events, nextOffset: consumed, skipped };
  } finally {
    closeSync(fd);
  }
}

function parseLine(line: string): RunEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRunEvent(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
