// Supervises the engine process and speaks the typed JSON-RPC contract of protocol.ts with it
// (vscode-jsonrpc, Content-Length framing on stdio). The engine runs in its own process group so
// a Ctrl-C in the terminal reaches only the controller, which then checkpoints and stops it in
// order: `shutdown` request → close stdin → SIGTERM → SIGKILL. If the process ends while a request
// is pending, the request fails with an EngineError that says how it ended and what to try.
import { spawn, type ChildProcess } from "node:child_process";
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { defaultHint, EngineError, exitedError } from "./errors";
import type { EngineMethod, EngineMethods, EngineNotification, EngineErrorData } from "./protocol";

export interface EngineLaunch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface EngineClientOptions {
  /** Every stderr line of the engine (Python warnings, tracebacks). */
  onStderr?: (line: string) => void;
  onNotification?: (n: EngineNotification) => void;
  /** Where the user can read the engine's full output, for error hints. */
  logHint?: string;
}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STDERR_TAIL = 40;

export class EngineClient {
  private readonly connection: MessageConnection;
  private readonly stderrTail: string[] = [];
  private exitInfo: EngineExit | undefined;
  private expectingExit = false;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<EngineExit>;
  private readonly failed: Promise<never>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly opts: EngineClientOptions,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    // Rejects once the process is gone (or never started): every pending request races it.
    this.failed = new Promise<never>((_, reject) => {
      child.once("error", (e: NodeJS.ErrnoException) => {
        this.exitInfo ??= { code: null, signal: null };
        reject(
          new EngineError(
            e.code === "ENOENT" ? `Could not start the engine: ${String(child.spawnfile)} was not found` : `Could not start the engine: ${e.message}`,
            "spawn",
            "Create the engine environment with `oneshot setup`, or pass --python (or set ONESHOT_PYTHON) to a Python that has the engine's packages.",
          ),
        );
      });
      void this.exited.then(async (info) => {
        // Let the last stderr lines (the traceback) arrive before explaining the exit.
        await new Promise((r) => setTimeout(r, 50));
        reject(this.expectingExit ? new EngineError("The engine was shut down", "exited") : exitedError(info.code, info.signal, this.stderrTail, opts.logHint ?? ""));
      });
    });
    this.failed.catch(() => {});

    let partial = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const line of lines) this.pushStderr(line);
    });
    child.stderr?.on("end", () => partial && this.pushStderr(partial));

    this.connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification((method, params) => opts.onNotification?.({ method, params } as EngineNotification));
    // A write to a closed pipe after a crash must not take the controller down with EPIPE.
    child.stdin?.on("error", () => {});
    this.connection.onError(() => {});
    this.connection.listen();
  }

  static start(launch: EngineLaunch, opts: EngineClientOptions = {}): EngineClient {
    const child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: launch.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    return new EngineClient(child, opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last lines the engine wrote to stderr. */
  get stderr(): readonly string[] {
    return this.stderrTail;
  }

  async request<M extends EngineMethod>(method: M, params: EngineMethods[M][0]): Promise<EngineMethods[M][1]> {
    if (!this.running) return this.failed;
    const call = this.connection.sendRequest(method, params) as Promise<EngineMethods[M][1]>;
    try {
      return await Promise.race([call, this.failed]);
    } catch (e) {
      if (e instanceof ResponseError) {
        const data = e.data as EngineErrorData | undefined;
        throw new EngineError(e.message, "rpc", data?.hint ?? defaultHint(e.code), e.code);
      }
      throw e;
    }
  }

  /** Ends the engine politely, then firmly: shutdown request, stdin EOF, SIGTERM, SIGKILL. */
  async stop(graceMs = 5000): Promise<EngineExit> {
    if (!this.running) return this.exitInfo!;
    this.expectingExit = true;
    const waitExit = (ms: number) => Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
    try {
      await Promise.race([this.connection.sendRequest("shutdown", {}), this.failed, new Promise((r) => setTimeout(r, graceMs).unref())]);
    } catch {
      // Already gone or not answering: fall through to the signals.
    }
    this.connection.dispose();
    this.child.stdin?.end();
    if (await waitExit(graceMs)) return this.exitInfo!;
    this.signal("SIGTERM");
    if (await waitExit(graceMs)) return this.exitInfo!;
    this.signal("SIGKILL");
    return this.exited;
  }

  /** Kills the engine's whole process group at once (used when the controller must end now). */
  kill(): void {
    this.expectingExit = true;
    this.signal("SIGKILL");
  }

  private signal(sig: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      if (process.platform !== "win32") process.kill(-this.child.pid, sig);
      else this.child.kill(sig);
    } catch {
      this.child.kill(sig);
    }
  }

  private pushStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    this.opts.onStderr?.(line);
  }
}
