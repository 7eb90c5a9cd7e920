// The significance test of Hunter / Apache Otava: a two-sided Student t-test (pooled variance)
// between the values left and right of a candidate. Kept bit-for-bit like Otava's on purpose —
// its standard deviations are population ones (ddof 0) fed to scipy's ttest_ind_from_stats,
// which treats them as sample ones — so both find the same change points on the same data.
import { tTwoSidedP } from '../stats/stats.js';
import { adjacentCovarianceFactor, meanVarianceFactor, sumOfSquaresFactor } from './autocorr.js';

export interface SegmentStats {
  meanBefore: number;
  meanAfter: number;
  stdBefore: number;
  stdAfter: number;
  nBefore: number;
  nAfter: number;
  pValue: number;
}

function meanOf(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

function popStd(v: readonly number[], m: number): number {
  if (v.length < 2) return 0;
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / v.length);
}

/** Compares two non-empty segments. A p-value that is undefined (both flat and equal) counts as 1. */
export function compareSegments(left: readonly number[], right: readonly number[]): SegmentStats {
  if (left.length === 0 || right.length === 0) throw new RangeError('change point test: both segments need at least one value');
  const meanBefore = meanOf(left);
  const meanAfter = meanOf(right);
  const stdBefore = popStd(left, meanBefore);
  const stdAfter = popStd(right, meanAfter);
  const n1 = left.length;
  const n2 = right.length;
  let pValue = 1;
  if (n1 + n2 > 2) {
    const df = n1 + n2 - 2;
    const pooled = ((n1 - 1) * stdBefore ** 2 + (n2 - 1) * stdAfter ** 2) / df;
    const denom = Math.sqrt(pooled * (1 / n1 + 1 / n2));
    const diff = meanBefore - meanAfter;
    if (denom > 0) pValue = tTwoSidedP(diff / denom, df);
    else pValue = diff === 0 ? 1 : 0;
  }
  return { meanBefore, meanAfter, stdBefore, stdAfter, nBefore: n1, nAfter: n2, pValue };
}

/** Otava's magnitude: the larger of |after/before − 1| and |before/after − 1| (0 where a mean is 0). */
export function changeMagnitude(s: SegmentStats): number {
  const fwd = s.meanBefore === 0 ? 0 : s.meanAfter / s.meanBefore - 1;
  const back = s.meanAfter === 0 ? 0 : s.meanBefore / s.meanAfter - 1;
  return Math.max(Math.abs(fwd), Math.abs(back));
}

/**
 * The t-test of two ADJACENT segments under AR(1) noise with lag-1 correlation `rho`
 * (autocorr.ts): σ² from both segments' sums of squares, each divided by its expectation under
 * the model (short segments of correlated runs look calmer than they are); the variance of the
 * difference of the means exact for two adjacent stretches of an AR(1) series (their shared
 * error cancels in part); the variance estimate's degrees of freedom shrunk for the correlation.
 * With rho = 0 it is the pooled Student t-test with sample variances (not Otava's quirk).
 */
export function compareSegmentsAR(left: readonly number[], right: readonly number[], rho: number): SegmentStats {
  if (left.length === 0 || right.length === 0) throw new RangeError('change point test: both segments need at least one value');
  if (!(rho >= 0 && rho < 1)) throw new RangeError(`change point test: autocorrelation must be in [0, 1), got ${rho}`);
  const n1 = left.length;
  const n2 = right.length;
  const meanBefore = meanOf(left);
  const meanAfter = meanOf(right);
  const ss = (v: readonly number[], m: number) => v.reduce((a, x) => a + (x - m) * (x - m), 0);
  const ss1 = ss(left, meanBefore);
  const ss2 = ss(right, meanAfter);
  const sampleStd = (s: number, n: number) => (n > 1 ? Math.sqrt(s / (n - 1)) : 0);
  let pValue = 1;
  if (n1 + n2 > 2) {
    const sigma2 = (ss1 + ss2) / (sumOfSquaresFactor(n1, rho) + sumOfSquaresFactor(n2, rho));
    const v1 = meanVarianceFactor(n1, rho);
    const v2 = meanVarianceFactor(n2, rho);
    const varDiff = sigma2 * (v1 + v2 - 2 * adjacentCovarianceFactor(n1, n2, rho));
    // The variance estimate's degrees of freedom: a sum of squares of AR(1) values holds as much
    // information as (1 − ρ²)/(1 + ρ²) of as many independent ones (Bayley & Hammersley 1946).
    const df = Math.max(1, ((n1 + n2 - 2) * (1 - rho * rho)) / (1 + rho * rho));
    const diff = meanBefore - meanAfter;
    if (varDiff > 0) pValue = tTwoSidedP(diff / Math.sqrt(varDiff), df);
    else pValue = diff === 0 ? 1 : 0;
  }
  return { meanBefore, meanAfter, stdBefore: sampleStd(ss1, n1), stdAfter: sampleStd(ss2, n2), nBefore: n1, nAfter: n2, pValue };
}
