// Reading and appending `events.jsonl`. Writers append whole lines; readers read by byte offset
// so a live log is tailed incrementally, skip a torn last line (it is re-read once complete) and
// ignore unknown event types.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
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

/** Reads complete lines from `offset` on. A missing file reads as empty. */
export function readEvents(file: string, offset = 0, maxBytes = Number.POSITIVE_INFINITY): ReadResult {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { events: [], nextOffset: offset, skipped: 0 };
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
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
