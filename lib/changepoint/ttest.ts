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

/**
 * The t-test of two ADJACENT segments under AR(1) noise with lag-1 correlation `rho`
 * (autocorr.ts): the step between them estimated by generalised least squares — the
 * Prais–Winsten transform (x₁√(1−ρ²), then x_t − ρx_{t−1}) makes the errors independent, and an
 * ordinary regression on a level and a step follows, n1 + n2 − 2 degrees of freedom. Judging a
 * step against the run-to-run innovations, not against how far a wandering series strays from its
 * mean, keeps its power where the noise is strongly correlated: the difference of the segment
 * means (exact variance under the model, with the Bayley–Hammersley degrees of freedom, this
 * function before) had 1.4 degrees of freedom at ρ 0.95 and missed a 48-point step on a series
 * whose runs moved by half a point (test/report-formats.test.ts). With rho = 0 it is the pooled
 * Student t-test with sample variances (not Otava's quirk). Means and SDs reported are the
 * segments' own.
 */
export function compareSegmentsAR(left: readonly number[], right: readonly number[], rho: number): SegmentStats {
  if (left.length === 0 || right.length === 0) throw new RangeError('change point test: both segments need at least one value');
  if (!(rho >= 0 && rho < 1)) throw new RangeError(`change point test: autocorrelation must be in [0, 1), got ${rho}`);
  const n1 = left.length;
  const n2 = right.length;
  const n = n1 + n2;
  const meanBefore = meanOf(left);
  const meanAfter = meanOf(right);
  const ss = (v: readonly number[], m: number) => v.reduce((a, x) => a + (x - m) * (x - m), 0);
  const sampleStd = (v: readonly number[], m: number) => (v.length > 1 ? Math.sqrt(ss(v, m) / (v.length - 1)) : 0);
  const stats = { meanBefore, meanAfter, stdBefore: sampleStd(left, meanBefore), stdAfter: sampleStd(right, meanAfter), nBefore: n1, nAfter: n2 };
  if (n <= 2) return { ...stats, pValue: 1 };
  // The transformed response y, level column c and step column s (0 before the step, 1 after).
  const z = [...left, ...right];
  const w = Math.sqrt(1 - rho * rho);
  const y: number[] = [w * z[0]!];
  const c: number[] = [w];
  const st: number[] = [0];
  for (let t = 1; t < n; t++) {
    y.push(z[t]! - rho * z[t - 1]!);
    c.push(1 - rho);
    st.push((t >= n1 ? 1 : 0) - rho * (t - 1 >= n1 ? 1 : 0));
  }
  const dot = (a: readonly number[], b: readonly number[]) => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
  const [cc, cs, sst, cy, sy] = [dot(c, c), dot(c, st), dot(st, st), dot(c, y), dot(st, y)];
  const det = cc * sst - cs * cs;
  if (!(det > 0)) return { ...stats, pValue: 1 };
  const step = (cc * sy - cs * cy) / det;
  const level = (sst * cy - cs * sy) / det;
  const sse = y.reduce((acc, v, i) => acc + (v - level * c[i]! - step * st[i]!) ** 2, 0);
  const df = n - 2;
  const varStep = ((sse / df) * cc) / det;
  let pValue: number;
  if (varStep > 0) pValue = tTwoSidedP(step / Math.sqrt(varStep), df);
  else pValue = step === 0 ? 1 : 0;
  return { ...stats, pValue };
}
