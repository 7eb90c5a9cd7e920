// Order statistics for benchmark figures (nearest-rank percentiles: no interpolation surprises).

export { median } from '../lib/stats/stats.js';

/** Nearest-rank percentile p (0..100) of xs. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  if (p < 0 || p > 100) throw new Error(`percentile: p must be within 0..100, not ${p}`);
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

/** Rounds to a number of significant digits, for tables a reader can scan. */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}
