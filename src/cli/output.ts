// The one way `oneshot` writes to its stdout and stderr. Output is a courtesy: a reader that went
// away (`| head -3` closes the pipe: EPIPE; a dropped SSH terminal: EIO; a full disk under
// controller.log: ENOSPC) must never end a command, least of all a training run. The first
// write error marks the stream lost; later writes to it are dropped without a word.
import { Writable } from "node:stream";

type Target = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export class GuardedOutput extends Writable {
  private lostCode?: string;

  constructor(
    private readonly target: Target,
    private readonly onLost?: (code: string) => void,
  ) {
    super({ decodeStrings: false });
    // Errors also arrive as events (asynchronously, after the write returned): never unhandled.
    target.on("error", (e: Error) => this.lose(e));
  }

  get isTTY(): boolean | undefined {
    return this.target.isTTY;
  }

  get columns(): number | undefined {
    return this.target.columns;
  }

  /** The error code that ended output on this stream, if one did. */
  get lost(): string | undefined {
    return this.lostCode;
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.lostCode === undefined) {
      try {
        const onDone = (e?: Error | null) => e && this.lose(e);
        if (typeof chunk === "string") this.target.write(chunk, encoding, onDone);
        else this.target.write(chunk, onDone);
      } catch (e) {
        this.lose(e as Error);
      }
    }
    // Never hold the writer up, never hand it an error.
    done();
  }

  private lose(e: Error): void {
    if (this.lostCode !== undefined) return;
    this.lostCode = (e as NodeJS.ErrnoException).code ?? e.message;
    this.onLost?.(this.lostCode);
  }
}

/** Wraps a stream once; a stream already guarded is returned as it is. */
export function guardOutput(stream: NodeJS.WritableStream, onLost?: (code: string) => void): GuardedOutput {
  return stream instanceof GuardedOutput ? stream : new GuardedOutput(stream, onLost);
}
