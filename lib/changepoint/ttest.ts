// The significance test of Hunter / Apache Otava: a two-sided Student t-test (pooled variance)
// between the values left and right of a candidate. Kept bit-for-bit like Otava's on purpose —
// its standard deviations are population ones (ddof 0) fed to scipy's ttest_ind_from_stats,
// which treats them as sample ones — so both find the same change points on the same data.
import { tTwoSidedP } from '../stats/stats.js';

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
