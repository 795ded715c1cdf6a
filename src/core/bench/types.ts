// The shapes the benchmark layer hands to evaluation, ranking and reports.

/** One scored problem of a benchmark: the prompt text and its reference final answer. */
export interface BenchProblem {
  id: string;
  problem: string;
  answer: string;
  /** Sub-skill or subject, when the dataset has one; evaluation breaks scores down by it. */
  skill?: string;
}

/** How a benchmark is sampled and graded. Greedy is temperature 0 with one sample ("acc"). */
export interface EvalSettings {
  /** Samples per problem: 1 for greedy, 8 for avg@8. */
  samples: number;
  temperature: number;
  top_p: number;
  max_new_tokens: number;
  system_prompt: string;
  seed: number;
  /**
   * Sequences per generate call. Part of the protocol, not just speed: batched decoding pads
   * prompts, and near-ties in greedy decoding can resolve differently with other batch shapes.
   */
  batch_size: number;
  /** Grade only a final answer inside \boxed{} (the paper's reward, every preset's setting). */
  boxed_only: boolean;
}

/** Name of the score a setting produces, as written in `eval` events: "acc" or "avg@k". */
export function metricName(s: Pick<EvalSettings, "samples">): string {
  return s.samples === 1 ? "acc" : `avg@${s.samples}`;
}

/** Where a benchmark's rows come from. */
export type DatasetSource =
  | { kind: "file"; path: string }
  | { kind: "hub"; id: string; config?: string; split?: string; revision?: string }
  | { kind: "url"; url: string };

/** Which fields hold the problem, the answer, a worked solution, an id and a skill. */
export interface FieldMap {
  problem?: string;
  answer?: string;
  /** A worked solution whose last \boxed{} is the answer, used when no answer field is present. */
  solution?: string;
  id?: string;
  skill?: string;
}

/** A loaded benchmark, ready to evaluate. */
export interface Benchmark {
  /** Short name used in events, summaries and file names (e.g. "math500"). */
  name: string;
  title: string;
  source: DatasetSource;
  problems: BenchProblem[];
  settings: EvalSettings;
  /** True for the built-in presets, whose sampling is the paper's evaluation protocol. */
  fromPreset: boolean;
  /** Human-readable origin, e.g. "HuggingFaceH4/MATH-500 (default/test)". */
  origin: string;
}
