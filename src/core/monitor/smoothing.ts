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
