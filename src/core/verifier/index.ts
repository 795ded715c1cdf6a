// The verifier: built-in graders and sandboxed custom verifiers behind one interface (api.ts).
import * as path from "node:path";
import type { Verifier, VerifierOptions, VerifierSpec, VerifyResult } from "./api";
import { extractAnswer } from "./extract";
import { gradeBuiltin } from "./grade";
import { clipText } from "./clip";
import { Sandbox, type CallOutcome } from "./sandbox/host";

export type { Verifier, VerifierKind, VerifierOptions, VerifierSpec, VerifyResult, BuiltinVerifierKind } from "./api";
export { extract, extractAnswer } from "./extract";
export { answersEquivalent, gradeBuiltin, normaliseAnswer } from "./grade";
export { clipText, TEXT_LIMIT } from "./clip";

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_MEMORY_MB = 128;

/** Where the sandbox bundle lives by default: beside the running CLI bundle (dist/). */
export function defaultSandboxPath(): string {
  return process.env.ONESHOT_VERIFIER_SANDBOX ?? path.join(path.dirname(process.argv[1] ?? "."), "verifier-sandbox.cjs");
}

export function createVerifier(spec: VerifierSpec, options: VerifierOptions = {}): Verifier {
  if (spec.kind !== "custom") {
    const kind = spec.kind;
    const boxedOnly = options.boxedOnly === true;
    const grade = (response: string, answer: string) => clipped(gradeBuiltin(kind, response, answer, { boxedOnly }));
    return {
      grade: async (response, answer) => grade(response, answer),
      gradeMany: async (items) => items.map((it) => grade(it.response, it.answer)),
      dispose: async () => undefined,
    };
  }
  const sandbox = new Sandbox(spec.source, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    memoryMb: options.memoryMb ?? DEFAULT_MEMORY_MB,
    scriptPath: options.sandboxPath ?? defaultSandboxPath(),
  });
  const toResult = (response: string, out: CallOutcome): VerifyResult => {
    let extracted: string | null = null;
    try {
      extracted = extractAnswer(response);
    } catch {
      extracted = null;
    }
    if ("error" in out) {
      const error = clipText(out.error);
      return { correct: false, reward: 0, extracted, reason: error, error };
    }
    return { correct: out.reward === 1, reward: out.reward, extracted, reason: `custom verifier returned ${out.reward}` };
  };
  const clean = (it: { response: string; answer: string }) => ({ response: String(it.response ?? ""), answer: String(it.answer ?? "") });
  return {
    grade: async (response, answer) => {
      const it = clean({ response, answer });
      return toResult(it.response, await sandbox.call(it.response, it.answer));
    },
    gradeMany: async (items) => {
      const cleaned = items.map(clean);
      const outs = await sandbox.callMany(cleaned);
      return outs.map((o, k) => toResult(cleaned[k].response, o));
    },
    dispose: () => sandbox.dispose(),
  };
}

/** A result whose reason (and error) fit in an event line. */
function clipped(r: VerifyResult): VerifyResult {
  const out = { ...r, reason: clipText(r.reason) };
  if (r.error !== undefined) out.error = clipText(r.error);
  return out;
}
