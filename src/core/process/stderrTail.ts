// The last lines a child process wrote to stderr, kept for error messages. Bounded in lines, in
// characters per line, and in what may pile up before a newline, so a process that floods stderr
// (or writes one endless line) cannot grow the parent's memory.

export interface StderrTailOptions {
  /** Lines kept (default 40). */
  lines?: number;
  /** Characters kept of each line (default 2000). */
  lineChars?: number;
  /** Every whole line as it arrives, unclipped (e.g. to a log file). */
  onLine?: (line: string) => void;
}

/** Text without a newline is passed on as a line once it reaches this size. */
const MAX_PARTIAL = 64 * 1024;

export class StderrTail {
  private readonly kept: string[] = [];
  private partial = "";
  private readonly maxLines: number;
  private readonly lineChars: number;

  constructor(private readonly opts: StderrTailOptions = {}) {
    this.maxLines = opts.lines ?? 40;
    this.lineChars = opts.lineChars ?? 2000;
  }

  get lines(): readonly string[] {
    return this.kept;
  }

  write(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.push(line);
    if (this.partial.length >= MAX_PARTIAL) {
      this.push(this.partial);
      this.partial = "";
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.partial) this.push(this.partial);
    this.partial = "";
  }

  private push(line: string): void {
    this.kept.push(line.length > this.lineChars ? line.slice(0, this.lineChars) + "…" : line);
    if (this.kept.length > this.maxLines) this.kept.shift();
    this.opts.onLine?.(line);
  }
}
