// Runs one custom verifier in a long-lived sandbox process (child.ts). Calls are serialised; a
// call that outlives its timeout kills the process, and the next call starts a fresh one. Every
// failure becomes { error } for that call, never an exception or a hang for the caller.
// The process: a supervised child (core/process/child.ts: its own process group, a stderr tail,
// stdin EOF → SIGTERM → SIGKILL on dispose) under Node's permission model, with a heap cap, a
// WebAssembly memory cap (QuickJS's heap), no environment, no network where the platform allows
// (noNetwork.ts). It speaks JSON-RPC (protocol.ts): requests on stdin, replies on fd 3.
import { existsSync } from "node:fs";
import { createMessageConnection, ErrorCodes, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection, type RequestParam, type RequestType } from "vscode-jsonrpc/node";
import { Child } from "../../process/child";
import { noNetwork } from "./noNetwork";
import { Call, CallMany, Load, SandboxErrorCode, type CallParams, type CallResult } from "./protocol";

export interface SandboxOptions {
  timeoutMs: number;
  memoryMb: number;
  /** The bundled child script (dist/verifier-sandbox.cjs). */
  scriptPath: string;
}

export type CallOutcome = { reward: number } | { error: string };

/** A request's fate: its result, the error the sandbox answered with, or no answer at all. */
type Reply<R> = { ok: true; value: R } | { ok: false; error: string; fatal: boolean } | "timeout" | "exit";

/** Time the child gets to report its own (synchronous) timeout before the host kills it. */
const GRACE_MS = 500;
/** Calls sent to the sandbox in one request by callMany. */
const BATCH = 64;
/** Consecutive timed-out calls after which the verifier is given up on. */
const MAX_CONSECUTIVE_TIMEOUTS = 5;
/** Time to start the sandbox process, on top of the verifier's own load time. */
const START_MS = 10_000;
/** Time the sandbox gets to leave on its own (stdin EOF) when disposed, per rung of the ladder. */
const STOP_GRACE_MS = 1000;

export class Sandbox {
  private child: Child | null = null;
  /** The latest process, kept after it ended so its stderr can explain why. */
  private last: Child | null = null;
  private connection: MessageConnection | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private loadError: string | null = null;
  private exitNote: string | null = null;
  private timeouts = 0;

  constructor(
    private readonly source: string,
    private readonly opts: SandboxOptions,
  ) {}

  /** Grades one response; serialised behind earlier calls. */
  call(response: string, answer: string): Promise<CallOutcome> {
    const run = this.queue.then(() => this.callNow({ response, answer }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Grades many responses with one round trip per batch. A batch that hangs the process (or
   * kills it) is re-run one call at a time, so only the guilty call gets the error.
   */
  callMany(items: CallParams[]): Promise<CallOutcome[]> {
    const run = this.queue.then(async () => {
      const out: CallOutcome[] = [];
      for (let k = 0; k < items.length; k += BATCH) out.push(...(await this.batchNow(items.slice(k, k + BATCH))));
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async batchNow(items: CallParams[]): Promise<CallOutcome[]> {
    if (this.loadError) return items.map(() => ({ error: this.loadError as string }));
    if (!this.child) {
      const started = await this.start();
      if (started) return items.map(() => ({ error: started }));
    }
    const reply = await this.send(CallMany, { items }, this.opts.timeoutMs * items.length + GRACE_MS);
    if (reply === "timeout" || reply === "exit" || !reply.ok || !isResults(reply.value, items.length)) {
      this.kill();
      const out: CallOutcome[] = [];
      for (const it of items) out.push(await this.callNow(it));
      return out;
    }
    return reply.value.map((r) => {
      this.timeouts = r.ok || !/timed out/.test(r.error) ? 0 : this.timeouts + 1;
      return r.ok ? { reward: r.value } : { error: r.error };
    });
  }

  /** Ends the process (stdin EOF first, signals if it lingers) and waits until it has gone. */
  async dispose(): Promise<void> {
    await this.queue;
    const child = this.child;
    const connection = this.connection;
    this.child = null;
    this.connection = null;
    await child?.stop({ graceMs: STOP_GRACE_MS });
    connection?.dispose();
  }

  private async callNow(params: CallParams): Promise<CallOutcome> {
    if (this.loadError) return { error: this.loadError };
    if (!this.child) {
      const started = await this.start();
      if (started) return { error: started };
    }
    const sent = await this.send(Call, params, this.opts.timeoutMs + GRACE_MS);
    const reply = sent === "timeout" || sent === "exit" || !sent.ok || isResults([sent.value], 1) ? sent : malformed;
    const timedOut = reply === "timeout" || (typeof reply === "object" && reply.ok && !reply.value.ok && /timed out/.test(reply.value.error));
    this.timeouts = timedOut ? this.timeouts + 1 : 0;
    if (this.timeouts >= MAX_CONSECUTIVE_TIMEOUTS) {
      // a verifier that hangs on everything would stall training for hours: stop calling it
      this.loadError = `the verifier timed out on ${MAX_CONSECUTIVE_TIMEOUTS} calls in a row and is no longer called`;
      this.kill();
    }
    if (reply === "timeout") {
      this.kill();
      return { error: `the verifier timed out after ${this.opts.timeoutMs} ms` };
    }
    if (reply === "exit") return { error: this.exitReason() };
    if (!reply.ok) {
      if (reply.fatal) this.kill();
      return { error: reply.error };
    }
    return reply.value.ok ? { reward: reply.value.value } : { error: reply.value.error };
  }

  /** Starts the process and loads the source; returns an error sentence or null. */
  private async start(): Promise<string | null> {
    if (!existsSync(this.opts.scriptPath)) {
      this.loadError = `the custom-verifier sandbox is missing (${this.opts.scriptPath}); build it with \`node esbuild.mjs\``;
      return this.loadError;
    }
    const args = [
      permissionFlag(),
      `--allow-fs-read=${this.opts.scriptPath}`,
      `--max-old-space-size=${this.opts.memoryMb}`,
      // QuickJS's heap lives in WebAssembly memory, outside Node's heap: 64 KiB pages
      `--wasm-max-mem-pages=${Math.ceil(Math.max(32, this.opts.memoryMb) * 16)}`,
      "--disable-proto=delete",
      "--no-warnings",
      this.opts.scriptPath,
    ];
    const wall = await noNetwork();
    const command = [...wall.prefix, process.execPath, ...args];
    const child = Child.spawn({
      command: command[0],
      args: command.slice(1),
      // nothing from the parent's environment (tokens, keys) reaches the sandbox; inside the
      // editor, process.execPath is Electron, which runs as plain Node with ELECTRON_RUN_AS_NODE
      env: {
        ONESHOT_SANDBOX_TIMEOUT_MS: String(this.opts.timeoutMs),
        ONESHOT_SANDBOX_MEMORY_MB: String(this.opts.memoryMb),
        ELECTRON_RUN_AS_NODE: "1",
      },
      // stdin: requests; stdout: ignored; stderr: a tail for crash reasons; fd 3: replies
      stdout: "ignore",
      extraPipes: 1,
      stderr: { lines: 60, lineChars: 500 },
    });
    const connection = createMessageConnection(new StreamMessageReader(child.pipe(3)), new StreamMessageWriter(child.stdin));
    connection.onError(() => undefined);
    connection.listen();
    this.child = child;
    this.last = child;
    this.connection = connection;
    this.exitNote = null;
    void child.exited.then((exit) => {
      connection.dispose();
      // a killed process's late exit must not touch the one that replaced it
      if (this.child !== child) return;
      this.child = null;
      this.connection = null;
      this.exitNote = `code ${exit.code ?? exit.signal ?? exit.spawnError?.code}`;
    });
    // starting Node and loading the helpers takes a few hundred ms on a busy machine: that is
    // not the verifier's time
    const reply = await this.send(Load, { source: this.source }, this.opts.timeoutMs + START_MS);
    if (reply === "timeout") {
      this.kill();
      this.loadError = `loading the verifier timed out after ${this.opts.timeoutMs} ms`;
      return this.loadError;
    }
    if (reply === "exit") {
      this.loadError = `the verifier could not start: ${this.exitReason()}`;
      return this.loadError;
    }
    if (!reply.ok) {
      this.loadError = `the verifier does not load: ${reply.error}`;
      this.kill();
      return this.loadError;
    }
    return null;
  }

  /** One request to the current process, bounded by a timeout and by the process's end. */
  private async send<P, R>(type: RequestType<P, R, void>, params: RequestParam<P>, timeoutMs: number): Promise<Reply<R>> {
    const child = this.child;
    const connection = this.connection;
    if (!child || !connection) return "exit";
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const gone = child.exited.then(() => "exit" as const);
    const answered = Promise.resolve()
      .then(() => connection.sendRequest(type, params))
      .then(
        (value): Reply<R> => ({ ok: true, value }),
        (e: unknown) => sandboxAnswer(e) ?? gone,
      );
    try {
      return await Promise.race([answered, late, gone]);
    } finally {
      clearTimeout(timer);
    }
  }

  private exitReason(): string {
    const tail = this.last?.stderrTail ?? [];
    if (tail.some((l) => /heap out of memory|Allocation failed/i.test(l))) {
      return `the verifier ran out of memory (limit ${this.opts.memoryMb} MiB)`;
    }
    const last = tail.filter((l) => l.trim()).pop();
    return `the verifier process stopped (${this.exitNote ?? "unknown"})${last ? `: ${last.trim().slice(0, 200)}` : ""}`;
  }

  private kill(): void {
    this.child?.kill();
    this.connection?.dispose();
    this.child = null;
    this.connection = null;
  }
}

/**
 * The error a request failed with, when the sandbox sent it; undefined when the connection failed
 * (the process died or is dying: its exit says why).
 */
function sandboxAnswer(e: unknown): Reply<never> | undefined {
  if (!(e instanceof ResponseError)) return undefined;
  if (e.code === SandboxErrorCode.DoesNotLoad) return { ok: false, error: e.message, fatal: false };
  if (e.code === SandboxErrorCode.Crashed) return { ok: false, error: e.message, fatal: true };
  // vscode-jsonrpc's own codes for a connection that broke (write failed, disposed, inactive)
  if (e.code >= ErrorCodes.MessageWriteError && e.code <= ErrorCodes.ConnectionInactive) return undefined;
  return { ok: false, error: `the sandbox failed: ${e.message.slice(0, 200)}`, fatal: true };
}

const malformed = { ok: false as const, error: "the sandbox sent a malformed reply", fatal: true };

/** The sandbox is a wall, not a friend: its replies are checked before they count. */
function isResults(v: unknown, n: number): v is CallResult[] {
  return (
    Array.isArray(v) &&
    v.length === n &&
    v.every((r: unknown) => {
      const x = r as Partial<{ ok: unknown; value: unknown; error: unknown }> | null;
      return x !== null && typeof x === "object" && (x.ok === true ? typeof x.value === "number" && x.value >= 0 && x.value <= 1 : x.ok === false && typeof x.error === "string");
    })
  );
}

/** Node 23.5 renamed the permission model's flag; older releases know only the experimental one. */
function permissionFlag(): string {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 5) ? "--permission" : "--experimental-permission";
}
