// Picking the next token from one row of logits: argmax when greedy (temperature 0, the
// evaluation setting), else temperature and nucleus (top-p) sampling from a seeded generator.

/** mulberry32: a small seeded generator, so a sampled answer can be reproduced from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

export function sampleToken(logits: Float32Array, temperature: number, topP: number, random: () => number): number {
  if (temperature <= 0) return argmax(logits);
  const max = logits[argmax(logits)]!;
  const probs = Array.from(logits, (l, i) => ({ i, p: Math.exp((l - max) / temperature) }));
  const total = probs.reduce((s, x) => s + x.p, 0);
  probs.sort((a, b) => b.p - a.p);
  // The smallest set of most likely tokens whose mass reaches top_p (always at least one).
  const kept: typeof probs = [];
  let mass = 0;
  for (const x of probs) {
    kept.push(x);
    mass += x.p / total;
    if (mass >= topP) break;
  }
  const keptTotal = kept.reduce((s, x) => s + x.p, 0);
  let r = random() * keptTotal;
  for (const x of kept) {
    r -= x.p;
    if (r <= 0) return x.i;
  }
  return kept[kept.length - 1]!.i;
}
