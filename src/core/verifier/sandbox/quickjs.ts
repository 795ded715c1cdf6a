// One custom verifier inside QuickJS compiled to WebAssembly: a JavaScript engine with no host
// objects at all. User code gets the ECMAScript built-ins, `helpers` (strings in and out through
// bridge.ts) and a silent `console`; nothing of Node's is reachable, whatever chain of
// constructors, prototypes, promises or thrown values it tries. The Node side passes in two
// strings per call and reads back one string (boot.ts), nothing else.
//
// Limits: an interrupt handler ends code that runs past the deadline (loops, microtask chains);
// the WebAssembly memory is capped by the process flag --wasm-max-mem-pages (host.ts), which makes
// QuickJS throw "out of memory"; the stack is capped below what Node's own stack can hold.
// After a call that timed out or ran out of memory the verifier is loaded afresh, so nothing of
// that call (a pending job, a full heap) reaches the next one.
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-singlefile-cjs-release-sync";
import { TEXT_LIMIT } from "../clip";
import { BOOT } from "./boot";
import { helperCall } from "./bridge";
import type { CallResult } from "./protocol";

/** QuickJS's stack limit; much more overflows Node's own stack, which runs the WebAssembly. */
const STACK_BYTES = 256 * 1024;

export interface Limits {
  timeoutMs: number;
  memoryMb: number;
}

type Control = { find: QuickJSHandle; use: QuickJSHandle; start: QuickJSHandle; take: QuickJSHandle; text: QuickJSHandle; line: QuickJSHandle };

/** A readable failure of the verifier's own code (as opposed to a fault of the engine). */
class VerifierFault extends Error {}

/** Why a verifier does not load, in one sentence. */
export class LoadError extends Error {}

export class QuickVerifier {
  private runtime: QuickJSRuntime | null = null;
  private vm: QuickJSContext | null = null;
  private ctl: Control | null = null;
  private deadline = Infinity;
  private interrupted = false;
  private stale = false;
  private broken: string | null = null;

  private constructor(
    private readonly engine: QuickJSWASMModule,
    private readonly limits: Limits,
    private readonly source: string,
  ) {}

  /** Loads a verifier; throws an Error whose message says why it does not load. */
  static async load(source: string, limits: Limits): Promise<QuickVerifier> {
    const v = new QuickVerifier(await engineModule(), limits, source);
    v.open();
    return v;
  }

  call(response: string, answer: string): CallResult {
    if (this.broken) return { ok: false, error: this.broken };
    if (this.stale) {
      this.close();
      try {
        this.open();
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        this.broken = `the verifier does not load again after a failed call: ${e.message}`;
        return { ok: false, error: this.broken };
      }
    }
    const vm = this.vm as QuickJSContext;
    const ctl = this.ctl as Control;
    this.arm();
    try {
      const r = vm.newString(response);
      const a = vm.newString(answer);
      const started = vm.callFunction(ctl.start, vm.undefined, r, a);
      r.dispose();
      a.dispose();
      let out = this.read(started);
      while (out === null) {
        const rt = this.runtime as QuickJSRuntime;
        if (this.interrupted) throw new VerifierFault("interrupted");
        // nothing left to run and no result: no timer or event can ever settle the promise
        if (!rt.hasPendingJob()) return { ok: false, error: "the verifier timed out: it returned a promise that never settles" };
        const jobs = rt.executePendingJobs();
        if (jobs.error) {
          const message = this.describe(jobs.error);
          jobs.error.dispose();
          throw new VerifierFault(message);
        }
        out = this.read(vm.callFunction(ctl.take, vm.undefined));
      }
      // an interrupted job rejects its promise with "interrupted", which the verifier may catch
      if (this.interrupted) throw new VerifierFault("interrupted");
      const result = outcome(out);
      // QuickJS's "out of memory" can be caught and rethrown by the verifier's own code
      if (!result.ok && /^InternalError: out of memory/.test(result.error)) throw new VerifierFault(result.error);
      return result;
    } catch (e) {
      if (!(e instanceof VerifierFault)) throw e;
      if (this.interrupted) {
        this.stale = true;
        return { ok: false, error: `the verifier timed out after ${this.limits.timeoutMs} ms` };
      }
      if (/out of memory/.test(e.message)) {
        this.stale = true;
        return { ok: false, error: `the verifier ran out of memory (limit ${this.limits.memoryMb} MiB)` };
      }
      return { ok: false, error: e.message };
    } finally {
      this.deadline = Infinity;
    }
  }

  dispose(): void {
    this.close();
  }

  private arm(): void {
    this.interrupted = false;
    this.deadline = Date.now() + this.limits.timeoutMs;
  }

  private open(): void {
    const rt = this.engine.newRuntime();
    rt.setMaxStackSize(STACK_BYTES);
    // bounds one allocation; the total is bounded by the WebAssembly memory cap (see top)
    rt.setMemoryLimit(this.limits.memoryMb * 1024 * 1024);
    rt.setInterruptHandler(() => {
      if (Date.now() <= this.deadline) return false;
      this.interrupted = true;
      return true;
    });
    const vm = rt.newContext();
    this.runtime = rt;
    this.vm = vm;
    this.stale = false;
    const bridge = vm.newFunction("bridge", (op, args) => {
      if (vm.typeof(op) !== "string" || vm.typeof(args) !== "string") return vm.newString('{"e":"bad helper call"}');
      return vm.newString(helperCall(vm.getString(op), vm.getString(args)));
    });
    const boot = vm.unwrapResult(vm.evalCode(BOOT, "boot.js"));
    const ctl = vm.unwrapResult(vm.callFunction(boot, vm.undefined, bridge));
    boot.dispose();
    bridge.dispose();
    this.ctl = {
      find: vm.getProp(ctl, "find"),
      use: vm.getProp(ctl, "use"),
      start: vm.getProp(ctl, "start"),
      take: vm.getProp(ctl, "take"),
      text: vm.getProp(ctl, "text"),
      line: vm.getProp(ctl, "line"),
    };
    ctl.dispose();
    this.arm();
    try {
      this.run();
    } catch (e) {
      this.close();
      if (!(e instanceof VerifierFault)) throw e;
      throw new LoadError(this.interrupted ? `its top-level code timed out after ${this.limits.timeoutMs} ms` : e.message);
    } finally {
      this.deadline = Infinity;
    }
  }

  /** Runs the source and finds its function. */
  private run(): void {
    const vm = this.vm as QuickJSContext;
    const ctl = this.ctl as Control;
    // `export default …` is the natural way to write a module; in a script it becomes module.exports
    const script = this.source
      .replace(/(^|[;{}\s])export\s+default\s+/, "$1module.exports = ")
      .replace(/(^|[;{}\s])export\s+(?=(?:async\s+)?function|const|let|var)/g, "$1");
    let loadError: VerifierFault | null = null;
    const evaluated = vm.evalCode(script, "verifier.js");
    // The line goes into the sentence as "(verifier line N)", which the editor turns into the file's line.
    const line = evaluated.error ? this.lineOf(evaluated.error) : "";
    try {
      this.read(evaluated, true);
    } catch (e) {
      if (!(e instanceof VerifierFault) || this.interrupted) throw e;
      loadError = line ? new VerifierFault(`${e.message} (verifier line ${line})`) : e;
    }
    if (!loadError && this.truthy(vm.callFunction(ctl.find, vm.undefined))) return;
    // a bare function expression: (response, answer, helpers) => …
    const expr = vm.evalCode(`(${this.source}\n)`, "verifier.js");
    if (!expr.error) {
      const found = this.truthy(vm.callFunction(ctl.use, vm.undefined, expr.value));
      expr.value.dispose();
      if (found) return;
    } else {
      // report the first error, which is about the code as written
      expr.error.dispose();
      if (this.interrupted) throw new VerifierFault("interrupted");
    }
    if (loadError) throw new LoadError(loadError.message);
    throw new LoadError("the verifier defines no function: export one with `export default (response, answer, helpers) => …`");
  }

  /** A call's string result (or null); a thrown value becomes a VerifierFault with its text. */
  private read(r: ReturnType<QuickJSContext["callFunction"]>, discard = false): string | null {
    const vm = this.vm as QuickJSContext;
    if (r.error) {
      const message = this.describe(r.error);
      r.error.dispose();
      throw new VerifierFault(message);
    }
    const v = r.value;
    const s = !discard && vm.typeof(v) === "string" ? vm.getString(v) : null;
    v.dispose();
    return s;
  }

  private truthy(r: ReturnType<QuickJSContext["callFunction"]>): boolean {
    const vm = this.vm as QuickJSContext;
    if (r.error) {
      r.error.dispose();
      throw new VerifierFault(this.interrupted ? "interrupted" : "the sandbox failed");
    }
    const yes = vm.typeof(r.value) === "boolean" && vm.dump(r.value) === true;
    r.value.dispose();
    return yes;
  }

  /** The verifier line a thrown error points at, read inside QuickJS by boot.ts; "" when unknown. */
  private lineOf(error: QuickJSHandle): string {
    const vm = this.vm as QuickJSContext;
    const r = vm.callFunction((this.ctl as Control).line, vm.undefined, error);
    if (r.error) {
      r.error.dispose();
      return "";
    }
    const s = vm.typeof(r.value) === "string" ? vm.getString(r.value) : "";
    r.value.dispose();
    return /^\d{1,6}$/.test(s) ? s : "";
  }

  /** The text of a thrown value, computed inside QuickJS by boot.ts (it may run user getters). */
  private describe(error: QuickJSHandle): string {
    if (this.interrupted) return "interrupted";
    const vm = this.vm as QuickJSContext;
    const r = vm.callFunction((this.ctl as Control).text, vm.undefined, error);
    if (r.error) {
      r.error.dispose();
      return this.interrupted ? "interrupted" : "the verifier threw a value that cannot be read";
    }
    const s = vm.typeof(r.value) === "string" ? vm.getString(r.value) : "the verifier threw a value that cannot be read";
    r.value.dispose();
    return s.slice(0, TEXT_LIMIT + 1);
  }

  private close(): void {
    if (this.ctl) for (const h of Object.values(this.ctl)) h.dispose();
    this.ctl = null;
    this.vm?.dispose();
    this.vm = null;
    this.runtime?.dispose();
    this.runtime = null;
  }
}

/** The boot script's result string, checked: anything else is a sandbox fault, not a reward. */
function outcome(out: string): CallResult {
  try {
    const r = JSON.parse(out) as { ok?: unknown; value?: unknown; error?: unknown };
    if (r.ok === true && typeof r.value === "number" && r.value >= 0 && r.value <= 1) return { ok: true, value: r.value };
    if (r.ok === false && typeof r.error === "string") return { ok: false, error: r.error.slice(0, TEXT_LIMIT + 1) };
  } catch {
    // fall through
  }
  return { ok: false, error: "the verifier's result could not be read" };
}

let modulePromise: Promise<QuickJSWASMModule> | null = null;

function engineModule(): Promise<QuickJSWASMModule> {
  modulePromise ??= newQuickJSWASMModuleFromVariant(variant);
  return modulePromise;
}
