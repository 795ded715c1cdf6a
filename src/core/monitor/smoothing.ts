// Exponential moving average with TensorBoard's debiasing: with weight w the first points are not
// dragged towards zero, and gaps (null, NaN) are kept as gaps without resetting the average.
// Browser-safe.
export function emaSmooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.slice();
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

interface Cached {
  weight: number;
  length: number;
  out: (number | null)[];
  last: number;
  n: number;
}

/**
 * EMA of columns that only grow (a live run appends): each call smooths only the new points.
 * Keyed by the column array itself; a replaced column (after a reset) starts over.
 */
export class IncrementalSmoother {
  private cache = new WeakMap<readonly (number | null)[], Cached>();

  smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
    const w = Math.min(Math.max(weight, 0), 0.999);
    let c = this.cache.get(values);
    if (!c || c.weight !== w || c.length > values.length) {
      c = { weight: w, length: 0, out: [], last: 0, n: 0 };
      this.cache.set(values, c);
    }
    for (let i = c.length; i < values.length; i++) {
      const v = values[i];
      if (v === null || !Number.isFinite(v)) {
        c.out.push(null);
        continue;
      }
      c.last = c.last * w + (1 - w) * v;
      c.n++;
      c.out.push(w === 0 ? v : c.last / (1 - Math.pow(w, c.n)));
    }
    c.length = values.length;
    return c.out;
  }
}
