// The one table of renames between the settings users write and the engine's parameter fields.
//
// A run's settings need none: TrainSettings' names are protocol.ts's field names (controller.ts
// passes rollouts, max_response_tokens, clip_ratio_low/high, adam_betas, adam_eps, kl_coef… as they
// are, and the engine's protocol.py dataclasses carry them into the loss). Benchmarks have sampling
// settings of their own (EvalSettings: `samples` per problem, as in avg@k), and a run evaluating a
// project's own benchmark file lends it two of its settings. Those are the renames, all here.
import type { GenerateParams } from "../engine/protocol";
import type { EvalSettings } from "./types";

/** A benchmark's sampling as generate's fields: samples → rollouts, max_new_tokens → max_response_tokens. */
export function benchmarkSampling(s: EvalSettings): Pick<GenerateParams, "rollouts" | "temperature" | "top_p" | "max_response_tokens"> {
  return { rollouts: s.samples, temperature: s.temperature, top_p: s.top_p, max_response_tokens: s.max_new_tokens };
}

/** What a run's settings decide of a project benchmark's: max_response_tokens → max_new_tokens, eval_batch_size → batch_size. */
export function runBenchmarkSettings(s: { max_response_tokens: number; eval_batch_size: number }): Pick<EvalSettings, "max_new_tokens" | "batch_size"> {
  return { max_new_tokens: s.max_response_tokens, batch_size: s.eval_batch_size };
}
