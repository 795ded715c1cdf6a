// Options shared by `oneshot eval` and `oneshot rank`: where benchmarks come from and how the
// engine is started.
import * as path from "node:path";
import { EvalCache } from "../core/bench/evalCache";
import { defaultCacheRoot, hubOptionsFromEnv } from "../core/bench/hub";
import { BenchmarkError, loadBenchmark, type BenchmarkSpec } from "../core/bench/load";
import type { Benchmark } from "../core/bench/types";
import type { Dtype } from "../core/engine/protocol";
import { UsageError, UserError, type CliContext } from "./command";
import { projectRoot } from "./paths";

export const engineOptions = {
  python: { type: "string" },
  device: { type: "string", default: "auto" },
  dtype: { type: "string" },
  seed: { type: "string", default: "0" },
  refresh: { type: "boolean", default: false },
  "no-cache": { type: "boolean", default: false },
  "any-final-answer": { type: "boolean", default: false },
} as const;

export const ENGINE_USAGE = `  --device D       auto (default), cpu or cuda
  --dtype T        bfloat16, float16 or float32 (default: float32 on CPU, bfloat16 on GPU)
  --python PATH    the Python that runs the engine (default: $ONESHOT_PYTHON, then the venv)
  --seed N         sampling seed (default 0)
  --refresh        download hub datasets again even when cached
  --no-cache       score again even when this model × benchmark × settings was scored before
  --any-final-answer  also accept an unboxed "The answer is …" (default: only \\boxed{}
                   answers count, as in the paper's reward and every training preset)`;

export function parseDevice(v: string): "auto" | "cpu" | "cuda" {
  if (v === "auto" || v === "cpu" || v === "cuda") return v;
  throw new UsageError(`--device must be auto, cpu or cuda, not '${v}'`);
}

/** undefined: the session decides once it knows the device (float32 on CPU, bfloat16 on GPU). */
export function parseDtype(v: string | undefined): Dtype | undefined {
  if (v === undefined) return undefined;
  if (v === "bfloat16" || v === "float16" || v === "float32") return v;
  throw new UsageError(`--dtype must be bfloat16, float16 or float32, not '${v}'`);
}

export function parseCount(v: string | undefined, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, not '${v}'`);
  return n;
}

export function parseNumber(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number ≥ 0, not '${v}'`);
  return n;
}

export async function loadBenchmarks(specs: BenchmarkSpec[], ctx: CliContext, refresh: boolean): Promise<Benchmark[]> {
  const hub = hubOptionsFromEnv(ctx.env, { refresh, onProgress: (m) => ctx.stderr.write(m + "\n") });
  const out: Benchmark[] = [];
  for (const spec of specs) {
    try {
      out.push(await loadBenchmark(spec, { root: projectRoot(ctx.installDir), cwd: ctx.cwd, hub }));
    } catch (e) {
      if (e instanceof BenchmarkError) throw new UserError(e.message);
      throw e;
    }
  }
  return out;
}

export const evalCacheFor = (ctx: CliContext) => new EvalCache(path.join(defaultCacheRoot(ctx.env), "evals"));

/** A single-line progress indicator on a terminal; silent otherwise (logs stay clean). */
export function progressLine(ctx: CliContext, label: string): (done: number, total: number) => void {
  const tty = (ctx.stderr as NodeJS.WriteStream).isTTY === true;
  return (done, total) => {
    if (tty) ctx.stderr.write(`\r${label} ${done}/${total}${done === total ? "\n" : ""}`);
  };
}
