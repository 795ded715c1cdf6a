// What `oneshot eval` and `oneshot rank` need from the outside world: an engine with the model
// loaded (for generation) and the verifier (for grading). Opened lazily, so an evaluation that is
// wholly cached never starts Python.
import type { GenerationBackend } from "../core/bench/backend";
import type { Dtype } from "../core/engine/protocol";
import type { Verifier } from "../core/verifier/api";
import type { CliContext } from "./command";

export interface EvalSession {
  backend: GenerationBackend;
  verifier: Verifier;
  /** e.g. "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3)". */
  device: string;
  close(): Promise<void>;
}

export interface SessionOptions {
  model: string;
  python?: string;
  device: "auto" | "cpu" | "cuda";
  /** Grade only boxed final answers (the paper's reward). */
  boxedOnly: boolean;
  /** Default: float32 on CPU, bfloat16 on a GPU, as the cpu-demo and paper presets train. */
  dtype?: Dtype;
  seed: number;
  ctx: CliContext;
}

export type OpenSession = (o: SessionOptions) => Promise<EvalSession>;

/** Defers opening until the first generation; `verifier` is needed for grading, so it opens too. */
export function lazySession(open: () => Promise<EvalSession>): {
  session: () => Promise<EvalSession>;
  backend: GenerationBackend;
  verifier: Verifier;
  opened: () => boolean;
  close: () => Promise<void>;
} {
  let pending: Promise<EvalSession> | undefined;
  const session = () => (pending ??= open());
  return {
    session,
    opened: () => pending !== undefined,
    backend: {
      formatPrompt: async (p) => (await session()).backend.formatPrompt(p),
      generate: async (p) => (await session()).backend.generate(p),
    },
    verifier: {
      grade: async (r, a) => (await session()).verifier.grade(r, a),
      gradeMany: async (items) => (await session()).verifier.gradeMany(items),
      dispose: async () => {},
    },
    close: async () => {
      if (pending) await (await pending.catch(() => undefined))?.close();
    },
  };
}
