// The detector's two allocation-free paths (issue 26) against the code they replaced, written
// out here: bestSplit's reused matrix and isolatedOutliers' 2- and 3-value medians must give
// exactly the same answers, on seeded series with ties, zeros and steps, intervals of every
// length one after another (a large one then a small one: what the reused matrix holds between calls).
import { describe, expect, it } from 'vitest';
import { bestSplit } from './edivisive.js';
import { isolatedOutliers } from './outliers.js';
import { median } from '../stats/stats.js';
import { robustSd } from '../stats/robust.js';
import { noiseAutocorrelation } from './autocorr.js';

function noise(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}

/** Steps, spikes, runs of equal values and zeros (±0). */
function series(seed: number, n: number): number[] {
  const r = noise(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = r();
    if (u > 0.9) return 0;
    if (u < -0.9) return -0;
    if (u > 0.8) return 3; // ties
    return (i > n / 2 ? 5 : 0) + u + (u > 0.75 ? 40 : 0);
  });
}

/** bestSplit as it was: one Float64Array a row. */
function bestSplitReference(s: readonly number[], start: number, end: number) {
  const colSum: Float64Array[] = [];
  for (let y = start; y < end; y++) {
    const row = new Float64Array(y - start + 1);
    let acc = 0;
    for (let x = start; x < y; x++) {
      acc += Math.abs(s[x]! - s[y]!);
      row[x - start + 1] = acc;
    }
    colSum.push(row);
  }
  const col = (y: number, t: number) => colSum[y - start]![t - start]!;
  let best = { index: start + 1, qhat: -Infinity };
  let withinX = 0;
  for (let tau = start + 1; tau < end; tau++) {
    withinX += col(tau - 1, tau - 1);
    const n = tau - start;
    let cross = 0;
    let withinY = 0;
    for (let kappa = tau + 1; kappa <= end; kappa++) {
      const y = kappa - 1;
      cross += col(y, tau);
      withinY += col(y, y) - col(y, tau);
      const m = kappa - tau;
      const q = (2 / (m + n)) * cross - (n > 1 ? ((2 * m) / ((m + n) * (n - 1))) * withinX : 0) - (m > 1 ? ((2 * n) / ((m + n) * (m - 1))) * withinY : 0);
      if (q > best.qhat) best = { index: tau, qhat: q };
    }
  }
  return best;
}

/** isolatedOutliers as it was: the median of every neighbourhood's slice. */
function outliersReference(s: readonly number[], h: number, k: number): number[] {
  const n = s.length;
  if (n < 2 * h + 1) return [];
  const residuals = s.map((x, i) => x - median(s.slice(Math.max(0, i - h), Math.min(n, i + h + 1))));
  const scale = (1.4826 / Math.SQRT2) * median(s.slice(1).map((x, i) => Math.abs(x - s[i]!)));
  if (!(scale > 0)) return [];
  return residuals.flatMap((r, i) => (Math.abs(r) > k * scale ? [i] : []));
}

describe('the change detector’s fast paths equal the code they replaced', () => {
  it('bestSplit: every interval of seeded series, large and small ones in turn', () => {
    let compared = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const s = series(seed, 120);
      for (const [start, end] of [
        [0, 120],
        [3, 5],
        [10, 60],
        [0, 2],
        [70, 119],
        [5, 6 + seed],
      ] as const) {
        expect(bestSplit(s, start, end)).toEqual(bestSplitReference(s, start, end));
        compared++;
      }
    }
    expect(compared).toBe(36);
  });

  it('isolatedOutliers: half windows 1 and 2, several thresholds, with ties and zeros', () => {
    let found = 0;
    for (let seed = 1; seed <= 20; seed++)
      for (const n of [3, 4, 50, 361])
        for (const h of [1, 2])
          for (const k of [1, 3, 5]) {
            const s = series(seed, n);
            const want = outliersReference(s, h, k);
            expect(isolatedOutliers(s, { halfWindow: h, threshold: k })).toEqual(want);
            found += want.length;
          }
    // Not vacuous: the series have outliers to find.
    expect(found).toBeGreaterThan(100);
  });
});

describe('noiseAutocorrelation: the median taken once per trimmed variance', () => {
  /** noiseAutocorrelation as it was: robustSd, which takes the median again. */
  function reference(x: readonly number[]): number {
    const trimmed = (d: readonly number[]) => {
      const m = median(d);
      const s = robustSd(d);
      const kept = d.filter((v) => Math.abs(v - m) <= 3 * s);
      const mu = kept.reduce((a, v) => a + v, 0) / kept.length;
      return kept.reduce((a, v) => a + (v - mu) * (v - mu), 0) / kept.length;
    };
    if (x.length < 20) return 0;
    const v1 = trimmed(x.slice(1).map((v, i) => v - x[i]!));
    if (!(v1 > 0)) return 0;
    const raw = trimmed(x.slice(2).map((v, i) => v - x[i]!)) / v1 - 1;
    if (!(raw > 0)) return 0;
    return Math.min(0.95, Math.max(0, raw - 4 / x.length / raw));
  }

  it('gives exactly what robustSd gave, on series of 20 to 1 500 values with ties, zeros and steps', () => {
    let positive = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const r = noise(seed * 7);
      // AR(1)-like noise on some, so that ρ > 0 is reached too.
      const base = series(seed, 20 + ((seed * 37) % 1480));
      let e = 0;
      const x = seed % 2 ? base : base.map((v) => (e = 0.8 * e + r()) + v / 10);
      const got = noiseAutocorrelation(x);
      expect(Object.is(got, reference(x)), `seed ${seed}`).toBe(true);
      if (got > 0) positive++;
    }
    expect(positive).toBeGreaterThan(10);
  });
});
