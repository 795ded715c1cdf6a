// The custom-verifier sandbox process (bundled as dist/verifier-sandbox.cjs). The host starts it
// with Node's permission model (no file system beyond this file, no child processes, no workers,
// no native addons) and a heap cap. User code runs in a `vm` context that has no `require`,
// `process`, `fetch` or any object from this realm: the helpers reach the built-in verifier
// through a closure-captured bridge that only exchanges strings.
import * as readline from "node:readline";
import * as vm from "node:vm";
import { extractAnswer } from "../extract";
import { answersEquivalent, gradeBuiltin, normaliseAnswer } from "../grade";
import type { CallResult, ChildMessage, HostMessage } from "./protocol";

const CALL_TIMEOUT_MS = Number(process.env.ONESHOT_SANDBOX_TIMEOUT_MS) || 1000;

let context: vm.Context | null = null;
/** Compiled once: compiling the call expression again for every call costs more than the call. */
const CALL_SCRIPT = new vm.Script("__oneshotCall(__oneshotResponse, __oneshotAnswer)");

function bridge(op: string, argsJson: string): string {
  const args = JSON.parse(argsJson) as string[];
  switch (op) {
    case "extract":
      return JSON.stringify(extractAnswer(args[0]));
    case "normalise":
      return JSON.stringify(normaliseAnswer(args[0]));
    case "equal":
      return JSON.stringify(answersEquivalent(args[0], args[1]));
    case "grade": {
      const r = gradeBuiltin("math", args[0], args[1]);
      return JSON.stringify({ correct: r.correct, extracted: r.extracted, reason: r.reason });
    }
    default:
      throw new Error(`unknown helper ${op}`);
  }
}

const BOOT = `(function (bridge) {
  "use strict";
  const call = (op, args) => {
    let out;
    try { out = bridge(op, JSON.stringify(args)); } catch (e) { throw new Error(String(e && e.message)); }
    return JSON.parse(out);
  };
  const helpers = Object.freeze({
    extract: (response) => call("extract", [String(response)]),
    normalise: (answer) => call("normalise", [String(answer)]),
    normalize: (answer) => call("normalise", [String(answer)]),
    equal: (a, b) => call("equal", [String(a), String(b)]),
    grade: (response, answer) => call("grade", [String(response), String(answer)]),
  });
  const quiet = () => undefined;
  globalThis.console = Object.freeze({ log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet });
  globalThis.module = { exports: {} };
  globalThis.exports = globalThis.module.exports;
  let fn = null;
  globalThis.__oneshotFind = () => {
    const m = globalThis.module.exports;
    fn = typeof m === "function" ? m
      : m && typeof m.default === "function" ? m.default
      : typeof globalThis.verify === "function" ? globalThis.verify
      : typeof globalThis.reward === "function" ? globalThis.reward : null;
    return fn !== null;
  };
  globalThis.__oneshotSet = (f) => { fn = typeof f === "function" ? f : null; return fn !== null; };
  globalThis.__oneshotCall = (response, answer) => fn(response, answer, helpers);
})`;

function load(source: string): void {
  context = vm.createContext({}, { codeGeneration: { strings: false, wasm: false } });
  (vm.runInContext(BOOT, context) as (b: typeof bridge) => void)(bridge);
  // `export default …` is the natural way to write a module; in a script it becomes module.exports
  const script = source
    .replace(/(^|[;{}\s])export\s+default\s+/, "$1module.exports = ")
    .replace(/(^|[;{}\s])export\s+(?=(?:async\s+)?function|const|let|var)/g, "$1");
  let loadError: unknown = null;
  try {
    vm.runInContext(script, context, { timeout: CALL_TIMEOUT_MS, filename: "verifier.js" });
  } catch (e) {
    loadError = e;
  }
  if (!loadError && vm.runInContext("__oneshotFind()", context)) return;
  // a bare function expression: (response, answer, helpers) => …
  try {
    const f = vm.runInContext(`(${source}\n)`, context, { timeout: CALL_TIMEOUT_MS, filename: "verifier.js" });
    context.__oneshotCandidate = f;
    if (vm.runInContext("__oneshotSet(__oneshotCandidate)", context)) return;
  } catch {
    // report the first error, which is about the code as written
  }
  if (loadError) throw loadError;
  throw new Error("the verifier defines no function: export one with `export default (response, answer, helpers) => …`");
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : typeof v === "undefined" ? "undefined" : `a ${typeof v}`;
}

async function call(response: string, answer: string): Promise<number> {
  if (!context) throw new Error("no verifier loaded");
  context.__oneshotResponse = response;
  context.__oneshotAnswer = answer;
  let v: unknown = CALL_SCRIPT.runInContext(context, { timeout: CALL_TIMEOUT_MS });
  if (v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function") {
    // a promise that never settles: give up here; one that spins in microtasks blocks this
    // process and the host kills it
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the verifier timed out after ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    });
    try {
      v = await Promise.race([v, late]);
    } finally {
      clearTimeout(timer);
    }
  }
  if (typeof v !== "number") {
    const hint = typeof v === "boolean" ? " (write `ok ? 1 : 0`)" : "";
    throw new Error(`the verifier returned ${describe(v)}, not a number in [0, 1]${hint}`);
  }
  if (!(v >= 0 && v <= 1)) throw new Error(`the verifier returned ${v}, outside [0, 1]`);
  return v;
}

function message(e: unknown): string {
  // errors from the vm context are not instances of this realm's Error
  if (e && typeof e === "object" && "message" in e) {
    const name = "name" in e ? String((e as { name: unknown }).name) : "Error";
    return `${name}: ${String((e as { message: unknown }).message)}`;
  }
  return String(e);
}

async function callMany(id: number, items: { response: string; answer: string }[]): Promise<void> {
  const out: CallResult[] = [];
  for (const it of items) {
    try {
      out.push({ ok: true, value: await call(it.response, it.answer) });
    } catch (e) {
      out.push({ ok: false, error: message(e) });
    }
  }
  send({ id, ok: true, value: out });
}

function send(m: ChildMessage): void {
  process.stdout.write(JSON.stringify(m) + "\n");
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  let msg: HostMessage;
  try {
    msg = JSON.parse(line) as HostMessage;
  } catch {
    return;
  }
  if (msg.op === "load") {
    try {
      load(msg.source);
      send({ id: msg.id, ok: true, value: null });
    } catch (e) {
      context = null;
      send({ id: msg.id, ok: false, error: message(e) });
    }
    return;
  }
  if (msg.op === "callMany") {
    void callMany(msg.id, msg.items);
    return;
  }
  call(msg.response, msg.answer).then(
    (value) => send({ id: msg.id, ok: true, value }),
    (e: unknown) => send({ id: msg.id, ok: false, error: message(e) }),
  );
});
rl.on("close", () => process.exit(0));
