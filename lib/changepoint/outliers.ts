// Isolated outlier runs: one run disturbed by something else on the host (a backup, a noisy
// neighbour) is not a persistent shift. Hunter / Otava users drop such points before the
// analysis; here a Hampel-style rule finds them without tuning per series:
//   residual r_i = x_i − median of the runs i−h … i+h (the run itself included),
//   σ̂ = 1.4826 · median |x_i − x_{i−1}| / √2 over the whole series (robust: a shift moves one
//   difference, an outlier two), and run i is an outlier when |r_i| > k · σ̂.
// A new level held by h+1 consecutive runs is the median of its neighbourhood and is never
// flagged, so at the newest end a shift shows after h+1 runs (h = 1: two runs).
import { median } from '../stats/stats.js';

export interface OutlierOptions {
  /** Half-width h of the neighbourhood (default 1: a run against its two neighbours). */
  halfWindow?: number;
  /** Threshold k in robust standard deviations (default 5). */
  threshold?: number;
}

/** Indexes of isolated outlier runs, ascending. A series shorter than 2h+1 has none. */
export function isolatedOutliers(series: readonly number[], options: OutlierOptions = {}): number[] {
  const h = options.halfWindow ?? 1;
  const k = options.threshold ?? 5;
  if (!(Number.isInteger(h) && h >= 1)) throw new RangeError(`outliers: half window must be an integer ≥ 1, got ${h}`);
  if (!(k > 0)) throw new RangeError(`outliers: threshold must be > 0, got ${k}`);
  const n = series.length;
  if (n < 2 * h + 1) return [];
  const residuals = series.map((x, i) => x - localMedian(series, Math.max(0, i - h), Math.min(n, i + h + 1)));
  const scale = (1.4826 / Math.SQRT2) * median(series.slice(1).map((x, i) => Math.abs(x - series[i]!)));
  if (!(scale > 0)) return [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (Math.abs(residuals[i]!) > k * scale) out.push(i);
  return out;
}

/**
 * median(series.slice(lo, hi)), without the slice and the sort for the 2 or 3 values of the
 * default neighbourhood (most of the detector's medians: one per run of every series). Equal to
 * it except perhaps in the sign of a zero median, which |x − median| above cannot see.
 */
function localMedian(series: readonly number[], lo: number, hi: number): number {
  const len = hi - lo;
  if (len === 2) return (series[lo]! + series[lo + 1]!) / 2;
  if (len === 3) {
    const a = series[lo]!;
    const b = series[lo + 1]!;
    const c = series[lo + 2]!;
    return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
  }
  return median(series.slice(lo, hi));
}
