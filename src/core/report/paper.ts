// Numbers the paper reports, shown beside a run's own when it trains a model the paper used.
// Only figures stated in the paper's abstract are listed; per-benchmark table values are left
// out rather than risk a misquote.

export const PAPER_CITATION =
  "Wang et al., “Reinforcement Learning for Reasoning in Large Language Models with One Training Example”, arXiv:2504.20571 (2025)";
export const PAPER_URL = "https://arxiv.org/abs/2504.20571";

export interface PaperNumber {
  /** A benchmark name (see presets) or "average6": the mean over the paper's six benchmarks. */
  benchmark: string;
  /** Base model, before RLVR. */
  base: number;
  /** After 1-shot RLVR on the paper's example π1. */
  oneShot: number;
  source: string;
}

export interface PaperModel {
  /** Matched case-insensitively against the end of the run's model name or path. */
  model: string;
  numbers: PaperNumber[];
}

export const PAPER_RESULTS: readonly PaperModel[] = [
  {
    model: "Qwen2.5-Math-1.5B",
    numbers: [
      { benchmark: "math500", base: 0.36, oneShot: 0.736, source: "abstract" },
      { benchmark: "average6", base: 0.176, oneShot: 0.357, source: "abstract" },
    ],
  },
];

/** The paper's numbers for a model given as a hub id or a local path ending in the model name. */
export function paperResultsFor(model: string): PaperModel | undefined {
  const m = model.replace(/[\\/]+$/, "").toLowerCase();
  return PAPER_RESULTS.find((p) => {
    const name = p.model.toLowerCase();
    return m === name || m.endsWith("/" + name);
  });
}
