// Speaks the typed JSON-RPC contract of protocol.ts with the engine process (vscode-jsonrpc,
// Content-Length framing on stdio). The process itself is a supervised child (core/process/child.ts:
// its own process group, the stop ladder `shutdown` request → stdin EOF → SIGTERM → SIGKILL, a
// stderr tail). If the process ends while a request is pending, the request fails with an
// EngineError that says how it ended and what to try.
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type Message, type MessageConnection } from "vscode-jsonrpc/node";
import { Child, type ChildExit } from "../process/child";
import type { Marker } from "../process/sweep";
import { defaultHint, EngineError, exitedError, outOfMemoryHint } from "./errors";
import { rankFailureError } from "./torchrunFailure";
import { EngineErrorCode, type EngineMethod, type EngineMethods, type EngineNotification, type EngineErrorData } from "./protocol";

export interface EngineLaunch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Started by torchrun (launch.ts): its ranks carry the marker, its stderr a rank's failure. */
  torchrun?: { marker: Marker };
}

export interface EngineClientOptions {
  /** Every stderr line of the engine (Python warnings, tracebacks). */
  onStderr?: (line: string) => void;
  onNotification?: (n: EngineNotification) => void;
  /** Where the user can read the engine's full output, for error hints. */
  logHint?: string;
}

export type EngineExit = ChildExit;

/** vscode-jsonrpc's stream writer, remembering when the last message it was given is written. */
class TrackedWriter extends StreamMessageWriter {
  written: Promise<void> = Promise.resolve();

  override write(msg: Message): Promise<void> {
    const done = super.write(msg);
    this.written = done.catch(() => undefined);
    return done;
  }
}

/**
 * How long a failed request of a torchrun engine waits for torchrun to report a failed rank: the
 * engine takes a few seconds to name the lost rank and exit (6.7 s from kill -9 to the run's end
 * on the 2-core CPU test machine).
 */
const RANK_FAILURE_WAIT_MS = 10_000;

export class EngineClient {
  private readonly connection: MessageConnection;
  private expectingExit = false;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<EngineExit>;
  private readonly failed: Promise<never>;
  private readonly writer: TrackedWriter;

  private constructor(
    private readonly child: Child,
    command: string,
    private readonly opts: EngineClientOptions,
    private readonly torchrun: boolean,
  ) {
    this.exited = child.exited;
    // Rejects once the process is gone (or never started): every pending request races it.
    this.failed = child.exited.then((info) => {
      if (info.spawnError) {
        const e = info.spawnError;
        throw new EngineError(
          e.code === "ENOENT" ? `Could not start the engine: ${command} was not found` : `Could not start the engine: ${e.message}`,
          "spawn",
          "Create the engine environment with `oneshot setup`, or pass --python (or set ONESHOT_PYTHON) to a Python that has the engine's packages.",
        );
      }
      if (this.expectingExit) throw new EngineError("The engine was shut down", "exited");
      throw this.rankFailure() ?? exitedError(info.code, info.signal, [...child.stderrTail], opts.logHint ?? "");
    });
    this.failed.catch(() => {});

    this.writer = new TrackedWriter(child.stdin);
    this.connection = createMessageConnection(new StreamMessageReader(child.stdout), this.writer);
    this.connection.onNotification((method, params) => opts.onNotification?.({ method, params } as EngineNotification));
    this.connection.onError(() => {});
    this.connection.listen();
  }

  static start(launch: EngineLaunch, opts: EngineClientOptions = {}): EngineClient {
    // torchrun's summary of a failed rank follows the ranks' own output: a longer tail keeps both.
    const child = Child.spawn({ ...launch, stderr: { lines: launch.torchrun ? 200 : 40, onLine: opts.onStderr }, sweep: launch.torchrun?.marker });
    return new EngineClient(child, launch.command, opts, !!launch.torchrun);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.running;
  }

  /** The last lines the engine wrote to stderr. */
  get stderr(): readonly string[] {
    return this.child.stderrTail;
  }

  async request<M extends EngineMethod>(method: M, params: EngineMethods[M][0]): Promise<EngineMethods[M][1]> {
    if (!this.running) return this.failed;
    const call = this.connection.sendRequest(method, params) as Promise<EngineMethods[M][1]>;
    try {
      return await Promise.race([call, this.failed]);
    } catch (e) {
      if (e instanceof ResponseError) {
        // A rank that died mid-collective fails rank 0's request first: the engine answers an
        // Internal error naming the rank, then exits, and torchrun's summary says how that rank
        // ended (killed by which signal), which is the failure to report.
        const rank = this.torchrun && e.code === EngineErrorCode.Internal ? await this.rankFailureWithin(RANK_FAILURE_WAIT_MS) : undefined;
        if (rank) throw rank;
        const data = e.data as EngineErrorData | undefined;
        // Advice is the controller's to word (in settings' names); the engine sends facts.
        const hint = e.code === EngineErrorCode.OutOfMemory ? outOfMemoryHint(data?.phase) : defaultHint(e.code, data?.reason);
        throw new EngineError(e.message, "rpc", hint, e.code, data?.phase);
      }
      throw e;
    }
  }

  /**
   * Resolves once the requests sent so far are written to the engine's stdin. vscode-jsonrpc writes
   * a message a few event-loop turns after `request`: host work meant to run while the engine works
   * on a request waits for this first, or it would hold the request back.
   */
  written(): Promise<void> {
    return this.writer.written;
  }

  /** A failed rank named by torchrun once the engine has ended (waiting up to `ms` for it to end). */
  private async rankFailureWithin(ms: number): Promise<EngineError | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, ms)));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    return this.running ? undefined : this.rankFailure();
  }

  private rankFailure(): EngineError | undefined {
    return this.torchrun ? rankFailureError(this.child.stderrTail, this.opts.logHint ?? "") : undefined;
  }

  /** Ends the engine politely, then firmly: shutdown request, stdin EOF, SIGTERM, SIGKILL. */
  async stop(graceMs = 5000): Promise<EngineExit> {
    if (!this.running) return this.exited;
    this.expectingExit = true;
    const exit = await this.child.stop({ request: () => this.connection.sendRequest("shutdown", {}), graceMs });
    this.connection.dispose();
    return exit;
  }

  /** Kills the engine's whole process group at once (used when the controller must end now). */
  kill(): void {
    this.expectingExit = true;
    this.child.kill();
  }
}
