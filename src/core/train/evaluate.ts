// Evaluation during training, on the benchmark layer (src/core/bench): the engine's current
// weights, the run's prompt format, the benchmark's own sampling (greedy; avg@8 for AIME/AMC).
// The schedule's choices live here: `eval_subset` problems (the same ones every time) at
// intermediate steps, the full set at step 0 and at the last step so before/after compare like
// with like, and the base model's step-0 score shared with every other run (and `oneshot eval`)
// through the evaluation cache.
import type { EvalCache } from "../bench/evalCache";
import { runBenchmarkSettings } from "../bench/engineParams";
import { evalEvent, evaluateBenchmark, runResultsFile } from "../bench/evaluation";
import { subsetOf } from "../bench/subset";
import type { Benchmark, BenchProblem } from "../bench/types";
import type { EngineMethod, EngineMethods, GenerateParams } from "../engine/protocol";
import { tokensOfChars } from "../plan/plan";
import type { RunPlan } from "../plan/record";
import type { EvalEvent, RunEventInput } from "../run/events";
import type { Verifier } from "../verifier/api";
import { resolveWaveRows, waveParams, type WaveCall } from "./waves";

export { chatMessages } from "../bench/runner";

export interface EngineRpc {
  request<M extends EngineMethod>(method: M, params: EngineMethods[M][0]): Promise<EngineMethods[M][1]>;
}

export interface EvalSettings {
  system_prompt: string;
  prompt_template: string | null;
  max_response_tokens: number;
  /** Sequences per generate call (problems × samples) for a project's own benchmark files. */
  eval_batch_size: number;
  eval_subset: number | null;
  stop: string[];
  seed: number;
  boxed_only: boolean;
  /** Evaluation generates in waves of this many sequences too (each call is also bounded by its batch size). */
  rollout_wave_size: "auto" | number;
}

export interface PreparedBenchmark {
  /** The benchmark with the run's prompt settings applied. */
  benchmark: Benchmark;
  /** The problems scored at intermediate steps. */
  subset: BenchProblem[];
  /** Formatted prompts by problem id: each problem is formatted once per run. */
  promptCache: Map<string, string>;
}

export function prepareBenchmark(benchmark: Benchmark, s: EvalSettings): PreparedBenchmark {
  // Presets keep their evaluation protocol (sampling, length, batch shape: `oneshot eval` gives
  // the same numbers); a project's own file follows the run's length and batch size.
  const settings = {
    ...benchmark.settings,
    system_prompt: s.system_prompt,
    seed: s.seed,
    boxed_only: s.boxed_only,
    ...(benchmark.fromPreset ? {} : runBenchmarkSettings(s)),
  };
  return {
    benchmark: { ...benchmark, settings },
    subset: s.eval_subset ? subsetOf(benchmark.problems, s.eval_subset, s.seed) : benchmark.problems,
    promptCache: new Map(),
  };
}

export interface EvaluateOptions {
  engine: EngineRpc;
  verifier: Verifier;
  bench: PreparedBenchmark;
  settings: EvalSettings;
  /** The run's memory plan: evaluation's waves fit the cache it gave training's. */
  plan?: RunPlan;
  step: number;
  runDir: string;
  /** The whole set (step 0 and the last step) rather than the subset. */
  full: boolean;
  cache?: EvalCache;
  /** Fingerprint of the weights being scored, when they are a saved model (the base at step 0). */
  modelKey?: string;
  /** Checked between batches: an aborted evaluation returns undefined. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function evaluate(o: EvaluateOptions): Promise<RunEventInput<EvalEvent> | undefined> {
  const { benchmark, subset, promptCache } = o.bench;
  try {
    const out = await evaluateBenchmark(
      { ...benchmark, problems: o.full ? benchmark.problems : subset },
      {
        backend: {
          formatPrompt: (p) => o.engine.request("format_prompt", p),
          generate: (p) => o.engine.request("generate", { ...p, ...waveParams(resolveWaveRows(o.settings, o.plan, evalCall(p))) }),
        },
        verifier: o.verifier,
        prompt_template: o.settings.prompt_template ?? undefined,
        stop: o.settings.stop,
        promptCache,
        resultsFile: runResultsFile(o.runDir, benchmark.name, o.step),
        cache: o.cache,
        modelKey: o.modelKey,
        signal: o.signal,
        onProgress: o.onProgress,
      },
    );
    return evalEvent(out, o.step, o.runDir);
  } catch (e) {
    if (o.signal?.aborted) return undefined;
    throw e;
  }
}

/** An evaluation batch as the wave resolver sees it: its rows, its longest prompt, its answer length. */
function evalCall(p: GenerateParams): WaveCall {
  const longest = Math.max(0, ...p.prompts.map((t) => t.length));
  return { rows: p.prompts.length * p.rollouts, promptTokens: tokensOfChars(longest), max_response_tokens: p.max_response_tokens };
}
