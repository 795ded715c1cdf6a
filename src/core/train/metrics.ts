// Text metrics of rollouts that the dashboard plots next to reward.

/**
 * Self-reflection words the paper reports growing during 1-shot RLVR ("rethink", "recheck",
 * "recalculate", "wait"), counted with their inflections (rechecking, recalculated, …).
 */
const REFLECTION = /\b(?:rethink\w*|recheck\w*|recalculat\w*|wait)\b/gi;
const WORD = /\S+/g;

export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

export function countReflectionWords(text: string): number {
  return text.match(REFLECTION)?.length ?? 0;
}

/** Reflection words per 1,000 response words over a set of responses (0 when there are no words). */
export function reflectionRate(texts: readonly string[]): number {
  let words = 0;
  let hits = 0;
  for (const t of texts) {
    words += countWords(t);
    hits += countReflectionWords(t);
  }
  return words ? (1000 * hits) / words : 0;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

/** Population standard deviation. */
export function std(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
}

/** Up to `k` indices spread evenly over [0, n), so a logged sample covers every group. */
export function spreadSample(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}
