// The autocorrelation-aware test of a change point (ttest.ts compareSegmentsAR, GLS): the
// variance factors (autocorr.ts, used for a change's interval) against the covariance matrix of
// an AR(1) series summed term by term, the test's ρ = 0 case against scipy, its statistic against
// numpy's and a brute-force GLS, and its calibration on simulated AR(1) series without a change.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../stats/random.js';
import { tTwoSidedP } from '../stats/stats.js';
import { adjacentCovarianceFactor, noiseAutocorrelation, meanVarianceFactor, MIN_RHO_VALUES, sumOfSquaresFactor } from './autocorr.js';
import { compareSegments, compareSegmentsAR } from './ttest.js';

function gaussian(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** AR(1) values of unit variance, started from the stationary distribution. */
function ar1(n: number, rho: number, r: () => number): number[] {
  let x = gaussian(r);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(x);
    x = rho * x + Math.sqrt(1 - rho * rho) * gaussian(r);
  }
  return out;
}

/** cᵀΣc for Σ[i][j] = ρ^|i−j| (unit variance): the brute-force variance of a linear combination. */
function quadForm(c: number[], rho: number): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) for (let j = 0; j < c.length; j++) s += c[i]! * c[j]! * rho ** Math.abs(i - j);
  return s;
}

describe('AR(1) variance factors against the covariance matrix', () => {
  for (const [n1, n2, rho] of [
    [3, 3, 0.7],
    [50, 3, 0.7],
    [7, 20, 0.3],
    [1, 5, 0.9],
    [10, 10, 0],
  ] as const) {
    it(`n1 ${n1}, n2 ${n2}, ρ ${rho}`, () => {
      const mean1 = [...Array<number>(n1).fill(1 / n1), ...Array<number>(n2).fill(0)];
      const mean2 = [...Array<number>(n1).fill(0), ...Array<number>(n2).fill(1 / n2)];
      const diff = mean1.map((v, i) => v - mean2[i]!);
      expect(meanVarianceFactor(n1, rho)).toBeCloseTo(quadForm(mean1, rho), 12);
      expect(meanVarianceFactor(n2, rho)).toBeCloseTo(quadForm(mean2, rho), 12);
      // Cov(m1, m2) = (Var(m1 + m2) − Var(m1) − Var(m2)) / 2.
      const sum = mean1.map((v, i) => v + mean2[i]!);
      expect(adjacentCovarianceFactor(n1, n2, rho)).toBeCloseTo((quadForm(sum, rho) - quadForm(mean1, rho) - quadForm(mean2, rho)) / 2, 12);
      expect(meanVarianceFactor(n1, rho) + meanVarianceFactor(n2, rho) - 2 * adjacentCovarianceFactor(n1, n2, rho)).toBeCloseTo(quadForm(diff, rho), 12);
      // E[Σ(x − x̄)²] = trace((I − J/n)Σ) = n − n·Var(x̄)/σ².
      let trace = 0;
      for (let i = 0; i < n1; i++) for (let j = 0; j < n1; j++) trace += ((i === j ? 1 : 0) - 1 / n1) * rho ** Math.abs(i - j);
      expect(sumOfSquaresFactor(n1, rho)).toBeCloseTo(trace, 12);
    });
  }
});

describe('compareSegmentsAR', () => {
  it('ρ = 0 is the pooled Student t-test (scipy.stats.ttest_ind, equal_var=True)', () => {
    const a = [1.02, 0.98, 1.05, 0.97, 1.01, 0.99, 1.03, 1.0];
    const b = [1.1, 1.07, 1.12];
    // python3 -c "from scipy import stats; print(stats.ttest_ind(a, b, equal_var=True).pvalue)"
    expect(compareSegmentsAR(a, b, 0).pValue).toBeCloseTo(0.0006752116936277147, 12);
  });

  it('is generalised least squares with the AR(1) covariance (numpy: (XᵀΣ⁻¹X)⁻¹XᵀΣ⁻¹z, σ̂² = rᵀΣ⁻¹r/(n − 2))', () => {
    const a = [1.02, 0.98, 1.05, 0.97, 1.01, 0.99, 1.03, 1.0];
    const b = [1.1, 1.07, 1.12];
    // python3: S = [[0.6**abs(i-j) ...]], X = [1, step], beta = solve(XᵀS⁻¹X, XᵀS⁻¹z), r = z − Xβ,
    // s2 = rᵀS⁻¹r/(n−2), t = β₁/√(s2·inv(XᵀS⁻¹X)₁₁), p = 2·stats.t.sf(|t|, n−2)
    expect(compareSegmentsAR(a, b, 0.6).pValue).toBeCloseTo(0.027131272667540104, 12);
  });

  it('its statistic is the brute-force GLS one on a random AR(1) series with a step (Σ inverted by Gauss–Jordan)', () => {
    const r = mulberry32(4);
    const rho = 0.6;
    const z = ar1(23, rho, r).map((v, i) => v + (i >= 20 ? 1.5 : 0));
    const n = z.length;
    const inv = (m: number[][]): number[][] => {
      const k = m.length;
      const a = m.map((row, i) => [...row, ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0))]);
      for (let i = 0; i < k; i++) {
        const piv = a[i]![i]!;
        for (let j = 0; j < 2 * k; j++) a[i]![j]! /= piv;
        for (let q = 0; q < k; q++) {
          if (q === i) continue;
          const f = a[q]![i]!;
          for (let j = 0; j < 2 * k; j++) a[q]![j]! -= f * a[i]![j]!;
        }
      }
      return a.map((row) => row.slice(k));
    };
    const si = inv(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => rho ** Math.abs(i - j))));
    const X = z.map((_, i) => [1, i >= 20 ? 1 : 0]);
    const quad = (u: number[], v: number[]) => u.reduce((acc, ui, i) => acc + ui * v.reduce((s2, vj, j) => s2 + si[i]![j]! * vj, 0), 0);
    const col = (j: number) => X.map((row) => row[j]!);
    const A = [
      [quad(col(0), col(0)), quad(col(0), col(1))],
      [quad(col(1), col(0)), quad(col(1), col(1))],
    ];
    const Ai = inv(A);
    const xz = [quad(col(0), z), quad(col(1), z)];
    const beta = [Ai[0]![0]! * xz[0]! + Ai[0]![1]! * xz[1]!, Ai[1]![0]! * xz[0]! + Ai[1]![1]! * xz[1]!];
    const res = z.map((v, i) => v - beta[0]! - beta[1]! * X[i]![1]!);
    const t = beta[1]! / Math.sqrt((quad(res, res) / (n - 2)) * Ai[1]![1]!);
    expect(compareSegmentsAR(z.slice(0, 20), z.slice(20), rho).pValue).toBeCloseTo(tTwoSidedP(t, n - 2), 12);
  });

  it('a large step on a series that wanders (ρ 0.95) is found: judged against the innovations, not the wandering', () => {
    // The overhead of test/report-formats.test.ts: its runs moved by half a point, then +48 points.
    const o = [11.07, 10.88, 10.74, 10.63, 11.93, 11.09, 11.0, 10.91, 11.46, 11.46, 11.37, 10.63, 10.63, 11.37, 11.37, 11.28, 10.54, 11.28];
    const after = [59.1, 58.97, 58.83, 58.7, 58.7, 58.83, 58.7, 58.57, 59.51, 58.47, 58.52, 58.6];
    const ln = (v: number[]) => v.map((x) => Math.log(1 + x / 100));
    expect(compareSegmentsAR(ln(o), ln(after), 0.95).pValue).toBeLessThan(1e-20);
  });

  it('on AR(1) noise with ρ 0.7 and no change, p < 0.05 about 5 % of the time (GLS is exact under the model); the plain test far more often', () => {
    const r = mulberry32(42);
    // The shapes the detector tests: a fresh change (50 runs against 3) and two long pieces.
    for (const [n1, n2] of [
      [50, 3],
      [25, 25],
    ] as const) {
      let ar = 0;
      let plain = 0;
      const N = 20_000;
      for (let k = 0; k < N; k++) {
        const x = ar1(n1 + n2, 0.7, r);
        if (compareSegmentsAR(x.slice(0, n1), x.slice(n1), 0.7).pValue < 0.05) ar++;
        if (compareSegments(x.slice(0, n1), x.slice(n1)).pValue < 0.05) plain++;
      }
      // Binomial SD of the rate at 5 %: 0.15 %. Measured about 4.9 % and 5.0 % (the difference of
      // the means with Bayley–Hammersley degrees of freedom, before: 4.2 % and 4.7 %; with the
      // step column not transformed, or the first value not scaled by √(1 − ρ²), the rate moves
      // out of this band).
      expect(ar / N).toBeLessThan(0.051);
      expect(ar / N).toBeGreaterThan(0.036);
      expect(plain / N).toBeGreaterThan(0.15);
    }
  });

  it('refuses a ρ outside [0, 1) and empty segments', () => {
    expect(() => compareSegmentsAR([1, 2], [3], 1)).toThrow(/autocorrelation/);
    expect(() => compareSegmentsAR([], [3], 0.5)).toThrow(/at least one value/);
  });
});

describe('noiseAutocorrelation', () => {
  it('recovers ρ of a long AR(1) series (shrunk by 4/(n·ρ̂): 0.004 here); a step or outliers do not move it', () => {
    const r = mulberry32(7);
    const x = ar1(1460, 0.7, r);
    const rho = noiseAutocorrelation(x);
    expect(rho).toBeGreaterThan(0.6);
    expect(rho).toBeLessThan(0.8);
    const stepped = x.map((v, i) => v + (i >= 700 ? 20 : 0));
    stepped[300] = 50;
    stepped[900] = -40;
    expect(Math.abs(noiseAutocorrelation(stepped) - rho)).toBeLessThan(0.02);
    // A drift only moves the differences' centre.
    expect(Math.abs(noiseAutocorrelation(x.map((v, i) => v + i * 0.01)) - rho)).toBeLessThan(0.02);
  });

  it('independent noise: the shrinkage leaves most short series at 0 (half would read > 0 without it)', () => {
    const r = mulberry32(12);
    let positive = 0;
    for (let k = 0; k < 400; k++) if (noiseAutocorrelation(ar1(50, 0, r)) > 0) positive++;
    // ρ̂ − 4/(50·ρ̂) > 0 needs ρ̂ > 0.28: about 2 SDs (0.28/0.3) less often than ρ̂ > 0.
    expect(positive / 400).toBeLessThan(0.3);
    expect(positive / 400).toBeGreaterThan(0.05);
  });

  it('independent noise reads 0; a short series is not estimated', () => {
    const r = mulberry32(9);
    expect(noiseAutocorrelation(ar1(1460, 0, r))).toBe(0);
    expect(noiseAutocorrelation(ar1(MIN_RHO_VALUES - 1, 0.9, r))).toBe(0);
  });
});
