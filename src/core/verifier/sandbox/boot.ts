// The JavaScript that runs first inside each QuickJS context, before the user's verifier. It
// builds `helpers`, `console`, `module`/`exports`, and returns the functions the sandbox drives a
// call with. Everything about a call (awaiting a promise, checking the reward, reading a thrown
// value) happens here, inside QuickJS: the only thing the Node side ever reads back is one JSON
// string, so no object, getter or `then` of the user's can run as Node code.
//
// `bridge(op, argsJson)` is the one function from outside: it takes and returns strings only.
// It stays in this closure; user code cannot reach it except through the helpers. Texts leave
// clipped (clip.ts), so a huge thrown message is not copied out whole.

import { TEXT_LIMIT } from "../clip";

export const BOOT = `(function (bridge) {
  "use strict";
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const Str = String;
  const isArray = Array.isArray;
  const resolve = Promise.resolve.bind(Promise);
  const then = Promise.prototype.then;
  const apply = Reflect.apply;
  const unreadable = "the verifier threw a value that cannot be read";
  const clip = (s) => (s.length > ${TEXT_LIMIT} ? s.slice(0, ${TEXT_LIMIT}) + "…" : s);

  const call = (op, args) => {
    const out = parse(bridge(op, stringify(args)));
    if (out.e !== undefined) throw new Error(out.e);
    return out.v;
  };
  const helpers = Object.freeze({
    extract: (response) => call("extract", [Str(response)]),
    normalise: (answer) => call("normalise", [Str(answer)]),
    normalize: (answer) => call("normalise", [Str(answer)]),
    equal: (a, b) => call("equal", [Str(a), Str(b)]),
    grade: (response, answer) => call("grade", [Str(response), Str(answer)]),
  });
  const quiet = () => undefined;
  globalThis.console = Object.freeze({ log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet });
  globalThis.module = { exports: {} };
  globalThis.exports = globalThis.module.exports;

  let fn = null;
  let out = null;
  const text = (e) => {
    try {
      if (e !== null && (typeof e === "object" || typeof e === "function") && "message" in e) {
        return clip(Str("name" in e ? e.name : "Error") + ": " + Str(e.message));
      }
      return clip(Str(e));
    } catch (_) {
      return unreadable;
    }
  };
  const fail = (e) => {
    try {
      out = stringify({ ok: false, error: text(e) });
    } catch (_) {
      out = stringify({ ok: false, error: unreadable });
    }
  };
  const describe = (v) =>
    v === null ? "null" : isArray(v) ? "an array" : typeof v === "object" ? "an object"
      : typeof v === "undefined" ? "undefined" : "a " + typeof v;
  const settle = (v) => {
    try {
      if (typeof v !== "number") {
        const hint = typeof v === "boolean" ? " (write \`ok ? 1 : 0\`)" : "";
        throw "the verifier returned " + describe(v) + ", not a number in [0, 1]" + hint;
      }
      if (!(v >= 0 && v <= 1)) throw "the verifier returned " + Str(v) + ", outside [0, 1]";
      out = stringify({ ok: true, value: v });
    } catch (e) {
      fail(e);
    }
  };
  return Object.freeze({
    find() {
      const m = globalThis.module.exports;
      fn = typeof m === "function" ? m
        : m && typeof m.default === "function" ? m.default
        : typeof globalThis.verify === "function" ? globalThis.verify
        : typeof globalThis.reward === "function" ? globalThis.reward : null;
      return fn !== null;
    },
    use(f) {
      fn = typeof f === "function" ? f : null;
      return fn !== null;
    },
    // Starts one call: the result's JSON, or null while a returned promise is pending.
    start(response, answer) {
      out = null;
      try {
        const v = fn(response, answer, helpers);
        if (v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function") {
          apply(then, resolve(v), [settle, fail]);
          return null;
        }
        settle(v);
      } catch (e) {
        fail(e);
      }
      return out;
    },
    take: () => out,
    text,
    // The verifier's line an error was thrown at (QuickJS's stack names it "verifier.js:LINE"), or "".
    line: (e) => {
      try {
        const m = /verifier\\.js:(\\d+)/.exec(Str(e !== null && typeof e === "object" ? e.stack : ""));
        return m ? m[1] : "";
      } catch (_) {
        return "";
      }
    },
  });
})`;
