// Significance that survives autocorrelated noise. Runs of a benchmark are not independent: a
// host stays busy (or quiet) for hours, so neighbouring runs share part of their error. Otava's
// t-test counts every run as new information; on AR(1) noise with φ 0.7 it reports ~14 false
// changes per series-year (docs/BENCHMARKS.md). Here the noise is modelled as AR(1) with lag-1
// correlation ρ, estimated once per series here; ttest.ts compareSegmentsAR tests a step under
// it (GLS), and the variance factors below give a change's interval under it (detect.ts) —
// exact also for segments of 3 runs, where the large-n factor (1+ρ)/(1−ρ) is far too big. Pure math.
import { median } from '../stats/stats.js';
import { MAD_TO_SD } from '../stats/robust.js';

/** Largest ρ used: beyond it a series is a random walk and a mean has no meaning. */
export const MAX_RHO = 0.95;

/** Fewest values ρ is estimated from; shorter series are tested as independent. */
export const MIN_RHO_VALUES = 20;

/**
 * Variance of the values within `c` robust SDs (MAD) of their median, the others left out: a
 * step or an outlier makes a difference large and it is dropped (capping it instead would still
 * count each step once among the lag-1 and twice among the lag-2 differences, a bias up); each
 * set is cut at its own scale, so for normal noise both lose the same 2.6 % of their variance
 * and the ratio stays unbiased. More efficient than a squared MAD: on 120 independent values
 * ρ̂'s SD is 0.2 instead of 0.3 (0.05 instead of 0.08 on 1460).
 */
function trimmedVariance(d: readonly number[], c = 3): number {
  const m = median(d);
  // robustSd(d), its median of d being m: a whole series' median is a sort (issue 26).
  const s = MAD_TO_SD * median(d.map((x) => Math.abs(x - m)));
  const kept = d.filter((x) => Math.abs(x - m) <= c * s);
  const mu = kept.reduce((a, x) => a + x, 0) / kept.length;
  return kept.reduce((a, x) => a + (x - mu) * (x - mu), 0) / kept.length;
}

/**
 * Lag-1 autocorrelation of a series' noise, robust to level shifts, drift and outliers (unlike
 * lib/stats/robust.ts lag1Autocorrelation, the moment estimator the comparison engine uses on
 * run means already cleaned of steps): for
 * AR(1) noise of variance σ², Var(x_t − x_{t−1}) = 2σ²(1 − ρ) and Var(x_t − x_{t−2}) = 2σ²(1 − ρ²),
 * so ρ = Var(lag-2 differences) / Var(lag-1 differences) − 1. Differences do not see the level
 * (a drift only moves their centre) and a step or an outlier makes one or two of them large,
 * which are left out. The estimate's SD is about 2/√n (measured on simulated AR(1)
 * series, φ 0 and 0.7, normal and t₃ innovations, n 50–1460); it is shrunk toward 0 by that
 * variance, so that noise in the estimate rarely costs an independent series its power, and
 * clipped to [0, MAX_RHO] (negative
 * correlation would shrink the variances: a test should not get bolder on a guess). 0 for
 * series shorter than MIN_RHO_VALUES.
 */
export function noiseAutocorrelation(series: readonly number[]): number {
  const n = series.length;
  if (n < MIN_RHO_VALUES) return 0;
  const d1 = series.slice(1).map((x, i) => x - series[i]!);
  const d2 = series.slice(2).map((x, i) => x - series[i]!);
  const v1 = trimmedVariance(d1);
  if (!(v1 > 0)) return 0;
  const raw = trimmedVariance(d2) / v1 - 1;
  if (!(raw > 0)) return 0;
  // Positive-part James–Stein shrinkage toward independence by the estimate's variance (2/√n)²:
  // a small ρ̂ that noise can explain goes to 0, a clear one is kept nearly whole (subtracting a
  // whole SD would under-correct a long AR(1) series: 0.65 for 0.7, 5× the false changes).
  const rho = raw - 4 / n / raw;
  return Math.min(MAX_RHO, Math.max(0, rho));
}

/** Σ_{k=1}^{n−1} (n − k) ρ^k: the covariance terms of a sum of n consecutive AR(1) values, over σ². */
function lagSum(n: number, rho: number): number {
  let s = 0;
  let p = 1;
  for (let k = 1; k < n; k++) {
    p *= rho;
    s += (n - k) * p;
  }
  return s;
}

/** Var(mean of n consecutive AR(1) values) / σ² (1/n when ρ = 0). */
export function meanVarianceFactor(n: number, rho: number): number {
  return (n + 2 * lagSum(n, rho)) / (n * n);
}

/** Cov(mean of the n1 values, mean of the n2 values right after them) / σ². */
export function adjacentCovarianceFactor(n1: number, n2: number, rho: number): number {
  if (rho === 0) return 0;
  return (rho * (1 - rho ** n1) * (1 - rho ** n2)) / ((1 - rho) ** 2 * n1 * n2);
}

/** E[Σ(x − x̄)²] / σ² over n consecutive AR(1) values (n − 1 when ρ = 0): the sum of squares is biased low. */
export function sumOfSquaresFactor(n: number, rho: number): number {
  return n * (1 - meanVarianceFactor(n, rho));
}
