// Runs one custom verifier in a long-lived sandbox process (child.ts). Calls are serialised; a
// call that outlives its timeout kills the process, and the next call starts a fresh one. Every
// failure becomes { error } for that call, never an exception or a hang for the caller.
// The process: Node's permission model, a heap cap, a WebAssembly memory cap (QuickJS's heap),
// no environment, no network where the platform allows (noNetwork.ts), replies on fd 3.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import { noNetwork } from "./noNetwork";
import type { CallResult, ChildMessage, HostMessage } from "./protocol";

export interface SandboxOptions {
  timeoutMs: number;
  memoryMb: number;
  /** The bundled child script (dist/verifier-sandbox.cjs). */
  scriptPath: string;
}

export type CallOutcome = { reward: number } | { error: string };

type Outgoing = HostMessage extends infer M ? (M extends { id: number } ? Omit<M, "id"> : never) : never;

type Pending = { resolve: (m: ChildMessage) => void };

/** Time the child gets to report its own (synchronous) timeout before the host kills it. */
const GRACE_MS = 500;
/** Calls sent to the sandbox in one message by callMany. */
const BATCH = 64;
/** Consecutive timed-out calls after which the verifier is given up on. */
const MAX_CONSECUTIVE_TIMEOUTS = 5;
/** Time to start the sandbox process, on top of the verifier's own load time. */
const START_MS = 10_000;

export class Sandbox {
  private proc: ChildProcess | null = null;
  private input: Writable | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private loadError: string | null = null;
  private stderrTail = "";
  private exitNote: string | null = null;
  private timeouts = 0;

  constructor(
    private readonly source: string,
    private readonly opts: SandboxOptions,
  ) {}

  /** Grades one response; serialised behind earlier calls. */
  call(response: string, answer: string): Promise<CallOutcome> {
    const run = this.queue.then(() => this.callNow(response, answer));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Grades many responses with one round trip per batch. A batch that hangs the process (or
   * kills it) is re-run one call at a time, so only the guilty call gets the error.
   */
  callMany(items: { response: string; answer: string }[]): Promise<CallOutcome[]> {
    const run = this.queue.then(async () => {
      const out: CallOutcome[] = [];
      for (let k = 0; k < items.length; k += BATCH) out.push(...(await this.batchNow(items.slice(k, k + BATCH))));
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async batchNow(items: { response: string; answer: string }[]): Promise<CallOutcome[]> {
    if (this.loadError) return items.map(() => ({ error: this.loadError as string }));
    if (!this.proc) {
      const started = await this.start();
      if (started) return items.map(() => ({ error: started }));
    }
    const reply = await this.send({ op: "callMany", items }, this.opts.timeoutMs * items.length + GRACE_MS);
    if (reply === "timeout" || reply === "exit" || !reply.ok) {
      this.kill();
      const out: CallOutcome[] = [];
      for (const it of items) out.push(await this.callNow(it.response, it.answer));
      return out;
    }
    return (reply.value as CallResult[]).map((r) => {
      this.timeouts = r.ok || !/timed out/.test(r.error) ? 0 : this.timeouts + 1;
      return r.ok ? { reward: r.value } : { error: r.error };
    });
  }

  /** Ends the process and waits until it has gone. */
  async dispose(): Promise<void> {
    await this.queue;
    const p = this.proc;
    this.kill();
    if (p && p.exitCode === null && p.signalCode === null) await new Promise((resolve) => p.once("exit", resolve));
  }

  private async callNow(response: string, answer: string): Promise<CallOutcome> {
    if (this.loadError) return { error: this.loadError };
    if (!this.proc) {
      const started = await this.start();
      if (started) return { error: started };
    }
    const reply = await this.send({ op: "call", response, answer }, this.opts.timeoutMs + GRACE_MS);
    const timedOut = reply === "timeout" || (reply !== "exit" && !reply.ok && /timed out/.test(reply.error));
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
    if (!reply.ok && reply.fatal) this.kill();
    if (!reply.ok) return { error: reply.error };
    return { reward: reply.value as number };
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
    const proc = spawn(command[0], command.slice(1), {
      // stdin: requests; stdout: ignored; stderr: a tail for crash reasons; fd 3: replies
      stdio: ["pipe", "ignore", "pipe", "pipe"],
      // nothing from the parent's environment (tokens, keys) reaches the sandbox; inside the
      // editor, process.execPath is Electron, which runs as plain Node with ELECTRON_RUN_AS_NODE
      env: {
        ONESHOT_SANDBOX_TIMEOUT_MS: String(this.opts.timeoutMs),
        ONESHOT_SANDBOX_MEMORY_MB: String(this.opts.memoryMb),
        ELECTRON_RUN_AS_NODE: "1",
      },
      windowsHide: true,
    });
    const input = proc.stdin as Writable;
    const replies = proc.stdio[3] as Readable;
    this.proc = proc;
    this.input = input;
    // each process has its own pending calls, so a killed one's late exit cannot answer a new one's
    const pending = new Map<number, Pending>();
    this.pending = pending;
    this.stderrTail = "";
    this.exitNote = null;
    proc.stderr?.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
    input.on("error", () => undefined);
    replies.on("error", () => undefined);
    readline.createInterface({ input: replies }).on("line", (line) => {
      let m: ChildMessage;
      try {
        m = JSON.parse(line) as ChildMessage;
      } catch {
        return;
      }
      const p = pending.get(m.id);
      if (p) {
        pending.delete(m.id);
        p.resolve(m);
      }
    });
    proc.on("exit", (code, signal) => {
      if (this.proc !== proc) return;
      this.proc = null;
      this.exitNote = `code ${code ?? signal}`;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.resolve({ id, ok: false, error: "\u0000exit" });
      }
    });
    proc.on("error", () => undefined);
    // starting Node and loading the helpers takes a few hundred ms on a busy machine: that is
    // not the verifier's time
    const reply = await this.send({ op: "load", source: this.source }, this.opts.timeoutMs + START_MS);
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

  private send(msg: Outgoing, timeoutMs: number): Promise<ChildMessage | "timeout" | "exit"> {
    const input = this.input;
    if (!this.proc || !input) return Promise.resolve("exit");
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve("timeout");
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(!m.ok && m.error === "\u0000exit" ? "exit" : m);
        },
      });
      input.write(JSON.stringify({ ...msg, id }) + "\n");
    });
  }

  private exitReason(): string {
    if (/heap out of memory|Allocation failed/i.test(this.stderrTail)) {
      return `the verifier ran out of memory (limit ${this.opts.memoryMb} MiB)`;
    }
    const last = this.stderrTail.trim().split("\n").filter(Boolean).pop();
    return `the verifier process stopped (${this.exitNote ?? "unknown"})${last ? `: ${last.slice(0, 200)}` : ""}`;
  }

  private kill(): void {
    const p = this.proc;
    this.proc = null;
    this.input = null;
    if (p && p.exitCode === null) p.kill("SIGKILL");
  }
}

/** Node 23.5 renamed the permission model's flag; older releases know only the experimental one. */
function permissionFlag(): string {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 5) ? "--permission" : "--experimental-permission";
}
