// One policy for the long-lived child processes the controller supervises (the engine, the
// custom-verifier sandbox). A child runs in a process group of its own, so a Ctrl-C in the
// terminal reaches only the controller, which then ends the child in order; a stop climbs the
// ladder shutdown request → stdin EOF → SIGTERM → SIGKILL, signals going to the whole group so
// nothing the child started outlives it (a launcher's workers in sessions of their own are found
// by a marker in their environment: sweep.ts). Its stderr is kept as a bounded tail for error messages.
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { StderrTail, type StderrTailOptions } from "./stderrTail";
import { killMarked, type Marker } from "./sweep";

export interface ChildSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** "ignore" where nothing the process prints on stdout may be read (default "pipe"). */
  stdout?: "pipe" | "ignore";
  /** Pipes after stderr, as file descriptors 3, 4, … of the child (default none). */
  extraPipes?: number;
  stderr?: StderrTailOptions;
  /**
   * The environment variable that marks every process this child starts (a launcher such as
   * torchrun puts its workers in sessions of their own): they are killed with the group's SIGKILL
   * and once the child has ended (sweep.ts).
   */
  sweep?: Marker;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the process never started (e.g. ENOENT); code and signal are then null. */
  spawnError?: NodeJS.ErrnoException;
}

export interface StopOptions {
  /** Asks the process to end itself (e.g. a `shutdown` request); if it fails, the ladder goes on. */
  request?: () => Promise<unknown>;
  /** Time each rung gets before the next one (default 5000 ms). */
  graceMs?: number;
}

/** How long the stderr's last lines (a traceback) may take to arrive after the exit. */
const STDERR_DRAIN_MS = 50;

/** Groups exist on POSIX only; on Windows a detached child would get a console window of its own. */
const OWN_GROUP = process.platform !== "win32";

export class Child {
  /** Resolves once the process has ended (or never started) and its stderr has been read. */
  readonly exited: Promise<ChildExit>;
  private exitInfo: ChildExit | undefined;
  private readonly tail: StderrTail;

  private readonly sweep: Marker | undefined;

  private constructor(private readonly proc: ChildProcess, spec: ChildSpec) {
    this.sweep = spec.sweep;
    this.tail = new StderrTail(spec.stderr);
    proc.stderr?.setEncoding("utf8");
    proc.stderr?.on("data", (chunk: string) => this.tail.write(chunk));
    const stderrEnded = new Promise<void>((resolve) => {
      if (!proc.stderr) return resolve();
      proc.stderr.once("end", () => resolve());
      proc.stderr.once("close", () => resolve());
    }).then(() => this.tail.end());
    // A write to a pipe of a process that died must not take the parent down with EPIPE.
    for (const s of proc.stdio) s?.on("error", () => undefined);

    this.exited = new Promise((resolve) => {
      proc.once("error", (e: NodeJS.ErrnoException) => {
        // After a start, 'error' means a failed kill or send; only a failed start ends the child.
        if (proc.pid !== undefined || this.exitInfo) return;
        this.exitInfo = { code: null, signal: null, spawnError: e };
        resolve(this.exitInfo);
      });
      proc.once("exit", (code, signal) => {
        const info: ChildExit = { code, signal };
        this.exitInfo = info;
        // Whatever the child left behind (a worker of a launcher that was killed) ends with it.
        if (this.sweep) killMarked(this.sweep);
        const drained = new Promise((r) => setTimeout(r, STDERR_DRAIN_MS).unref());
        void Promise.race([stderrEnded, drained]).then(() => resolve(info));
      });
    });
  }

  static spawn(spec: ChildSpec): Child {
    const extra = Array.from({ length: spec.extraPipes ?? 0 }, () => "pipe" as const);
    const env = spec.env ?? process.env;
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.sweep ? { ...env, [spec.sweep.name]: spec.sweep.value } : env,
      stdio: ["pipe", spec.stdout ?? "pipe", "pipe", ...extra],
      detached: OWN_GROUP,
      windowsHide: true,
    });
    return new Child(proc, spec);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** False from the moment the process exits (or fails to start). */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get stdin(): Writable {
    return this.proc.stdin as Writable;
  }

  get stdout(): Readable {
    return this.proc.stdout as Readable;
  }

  /** The child's extra pipe at file descriptor `fd` (3 or more). */
  pipe(fd: number): Readable & Writable {
    return this.proc.stdio[fd] as Readable & Writable;
  }

  /** The last lines the process wrote to stderr (each clipped). */
  get stderrTail(): readonly string[] {
    return this.tail.lines;
  }

  /** Ends the process politely, then firmly: request, stdin EOF, SIGTERM, SIGKILL of the group. */
  async stop(o: StopOptions = {}): Promise<ChildExit> {
    if (!this.running) return this.exited;
    const grace = o.graceMs ?? 5000;
    const request = o.request;
    if (request) await this.within(Promise.resolve().then(request), grace);
    this.proc.stdin?.end();
    if (await this.within(this.exited, grace)) return this.exited;
    this.signal("SIGTERM");
    if (await this.within(this.exited, grace)) return this.exited;
    this.signal("SIGKILL");
    return this.exited;
  }

  /** Kills the whole process group at once (a hung child, or a controller that must end now). */
  kill(): void {
    this.signal("SIGKILL");
  }

  private signal(sig: NodeJS.Signals): void {
    if (!this.running || this.proc.pid === undefined) return;
    try {
      if (OWN_GROUP) process.kill(-this.proc.pid, sig);
      else this.proc.kill(sig);
    } catch {
      this.proc.kill(sig);
    }
    if (sig === "SIGKILL" && this.sweep) killMarked(this.sweep);
  }

  /** True when `p` settles (or the process ends) within `ms`; a rejection counts as settled. */
  private async within(p: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const settled = Promise.race([p, this.exited]).then(
      () => true,
      () => true,
    );
    try {
      return await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
