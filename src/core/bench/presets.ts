// The paper's six evaluation benchmarks and the built-in synthetic one. Sampling follows the
// paper (arXiv 2504.20571, evaluation setup): MATH500, Minerva Math and OlympiadBench greedy;
// AIME24, AIME25 and AMC23 avg@8 at temperature 0.6 (few problems, so one greedy pass is too
// noisy); at most 3072 new tokens; the Qwen2.5-Math system prompt.
import type { DatasetSource, EvalSettings, FieldMap } from "./types";

export const PAPER_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}.";
export const PAPER_MAX_TOKENS = 3072;

export const GREEDY: EvalSettings = {
  samples: 1,
  temperature: 0,
  top_p: 1,
  max_new_tokens: PAPER_MAX_TOKENS,
  system_prompt: PAPER_SYSTEM_PROMPT,
  seed: 0,
  batch_size: 64,
  boxed_only: true,
};

export const AVG_AT_8: EvalSettings = { ...GREEDY, samples: 8, temperature: 0.6 };

export interface BenchmarkPreset {
  name: string;
  title: string;
  aliases: string[];
  source: DatasetSource;
  fields: FieldMap;
  settings: EvalSettings;
  /** Problems in the full set, as a sanity check on what was downloaded. */
  size?: number;
}

/** The built-in benchmark's file, relative to the project (or packaged extension) root. */
export const SYNTHETIC_FILE = "examples/bench/synthetic.jsonl";

export const PRESETS: readonly BenchmarkPreset[] = [
  {
    name: "math500",
    title: "MATH500",
    aliases: ["math-500", "math_500"],
    source: { kind: "hub", id: "HuggingFaceH4/MATH-500", config: "default", split: "test" },
    fields: { problem: "problem", answer: "answer", id: "unique_id", skill: "subject" },
    settings: GREEDY,
    size: 500,
  },
  {
    name: "aime24",
    title: "AIME24",
    aliases: ["aime2024", "aime_2024"],
    source: { kind: "hub", id: "HuggingFaceH4/aime_2024", config: "default", split: "train" },
    fields: { problem: "problem", answer: "answer", id: "id" },
    settings: AVG_AT_8,
    size: 30,
  },
  {
    name: "aime25",
    title: "AIME25",
    aliases: ["aime2025", "aime_2025"],
    source: { kind: "hub", id: "math-ai/aime25", config: "default", split: "test" },
    fields: { problem: "problem", answer: "answer", id: "id" },
    settings: AVG_AT_8,
    size: 30,
  },
  {
    name: "amc23",
    title: "AMC23",
    aliases: ["amc2023", "amc"],
    source: { kind: "hub", id: "math-ai/amc23", config: "default", split: "test" },
    fields: { problem: "question", answer: "answer", id: "id" },
    settings: AVG_AT_8,
    size: 40,
  },
  {
    name: "minerva",
    title: "Minerva Math",
    aliases: ["minerva_math", "minervamath", "minerva-math"],
    source: { kind: "hub", id: "math-ai/minervamath", config: "default", split: "test" },
    fields: { problem: "question", answer: "answer" },
    settings: GREEDY,
    size: 272,
  },
  {
    name: "olympiadbench",
    title: "OlympiadBench",
    aliases: ["olympiad", "olympiad_bench", "olympiad-bench"],
    // final_answer is a list (several for multi-part problems); the reader joins it with ", ".
    source: { kind: "hub", id: "math-ai/olympiadbench", config: "default", split: "test" },
    fields: { problem: "question", answer: "final_answer", id: "id", skill: "subfield" },
    settings: GREEDY,
    size: 675,
  },
  {
    name: "synthetic",
    title: "Synthetic (built-in)",
    aliases: ["builtin"],
    source: { kind: "file", path: SYNTHETIC_FILE },
    fields: { problem: "problem", answer: "answer", id: "id", skill: "skill" },
    // The cpu-demo preset's response limit and evaluation batch, so that `oneshot eval` on the
    // built-in model reproduces the demo's step-0 row exactly.
    settings: { ...GREEDY, max_new_tokens: 96, batch_size: 160 },
  },
];

/** The paper's six, in the order its tables use. */
export const PAPER_BENCHMARKS = ["math500", "aime24", "aime25", "amc23", "minerva", "olympiadbench"] as const;

export function findPreset(name: string): BenchmarkPreset | undefined {
  const n = name.toLowerCase();
  return PRESETS.find((p) => p.name === n || p.aliases.includes(n) || p.title.toLowerCase() === n);
}
