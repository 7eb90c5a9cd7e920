// Expected numbers are literals from outside this code: printed t tables, R's classic
// `t.test(extra ~ group, data = sleep)` output, and scipy 1.17 (stats.t, special.betainc),
// quoted with each case. Tolerances are those of the source's printed digits.
import { describe, expect, it } from 'vitest';
import {
  mean,
  median,
  stddev,
  rsd,
  variance,
  meanCi,
  regularizedIncompleteBeta,
  tCdf,
  tQuantile,
  tTwoSidedP,
  welchTTest,
  ratioCi,
  StatsError,
} from './stats.js';

// R: datasets::sleep, extra for group 1 and group 2.
const SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('descriptive statistics', () => {
  it('mean, median, sample standard deviation, RSD of 100, 110, 90 (by hand: s² = (0+100+100)/2)', () => {
    expect(mean([100, 110, 90])).toBe(100);
    expect(median([100, 110, 90])).toBe(100);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(variance([100, 110, 90])).toBe(100);
    expect(stddev([100, 110, 90])).toBe(10);
    expect(rsd([100, 110, 90])).toBeCloseTo(0.1, 15);
  });
  it('sleep data: R mean(group1) = 0.75, sd(group1) = 1.789010', () => {
    expect(mean(SLEEP_1)).toBeCloseTo(0.75, 12);
    expect(stddev(SLEEP_1)).toBeCloseTo(1.78901, 5);
  });
  it('rejects empty and non-finite input with a clear error', () => {
    expect(() => mean([])).toThrow(/at least 1/);
    expect(() => stddev([1])).toThrow(/at least 2/);
    expect(() => mean([1, Number.NaN])).toThrow(/not a finite number/);
    expect(() => rsd([0, 0])).toThrow(/mean is 0/);
  });
});

describe('incomplete beta and Student t', () => {
  it('regularized incomplete beta matches scipy.special.betainc', () => {
    // I_0.4(2, 3) = 0.5248 exactly (polynomial: 6x²−8x³+3x⁴ at 0.4).
    expect(regularizedIncompleteBeta(0.4, 2, 3)).toBeCloseTo(0.5248, 12);
    expect(regularizedIncompleteBeta(0.1, 0.5, 0.5)).toBeCloseTo(0.20483276469913345, 12); // = 2/π·asin(√0.1)
    expect(regularizedIncompleteBeta(0.9, 5, 0.5)).toBeCloseTo(0.3166429150200122, 12);
  });
  it('t quantiles from printed tables (and scipy.stats.t.ppf)', () => {
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.302653, 6);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228139, 6);
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.706205, 5);
    expect(tQuantile(0.95, 5)).toBeCloseTo(2.015048, 6);
    expect(tQuantile(0.995, 30)).toBeCloseTo(2.749996, 6);
    expect(tQuantile(0.975, 17.776)).toBeCloseTo(2.1028213, 6); // fractional df (Welch)
    expect(tQuantile(0.975, 1000)).toBeCloseTo(1.9623391, 6);
    expect(tQuantile(0.025, 10)).toBeCloseTo(-2.228139, 6);
    expect(tQuantile(0.5, 3)).toBe(0);
  });
  it('t CDF and two-sided p match scipy.stats.t', () => {
    expect(tCdf(1.5, 3)).toBeCloseTo(0.8847080673775886, 10);
    expect(tCdf(-0.7, 7.5)).toBeCloseTo(0.2525278109369252, 10);
    expect(tTwoSidedP(4.0, 2.5)).toBeCloseTo(0.03901297584131825, 10);
    expect(tTwoSidedP(2.228138851986274, 10)).toBeCloseTo(0.05, 10);
  });
  it('a quantile asked again (kept by p and df) is the bisection of tCdf, bit for bit, in any order of levels', () => {
    // The slow path written out: tQuantile's bisection on the exported tCdf.
    const bisect = (p: number, df: number) => {
      let [lo, hi] = [0, 1];
      while (tCdf(hi, df) < p) [lo, hi] = [hi, hi * 2];
      for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
        const mid = (lo + hi) / 2;
        if (tCdf(mid, df) < p) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    const dfs = [1, 2.4897241452735197, 3.845697566507079, 11.539812910970756, 40, 1e6];
    for (const levels of [
      [0.975, 0.95],
      [0.95, 0.975, 0.995],
    ])
      for (const df of dfs) for (const p of levels) for (let again = 0; again < 2; again++) expect(Object.is(tQuantile(p, df), bisect(p, df))).toBe(true);
    expect(tQuantile(0.025, 3.845697566507079)).toBe(-bisect(0.975, 3.845697566507079));
    // More than the cache holds (10 000): still the bisection's answers.
    for (let i = 0; i < 10_050; i++) tQuantile(0.975, 2 + i / 1000);
    for (const df of dfs) expect(Object.is(tQuantile(0.95, df), bisect(0.95, df))).toBe(true);
  });
  it('rejects impossible arguments', () => {
    expect(() => tQuantile(1, 3)).toThrow(StatsError);
    expect(() => tQuantile(0.9, 0)).toThrow(/degrees of freedom/);
  });
});

describe('confidence intervals and Welch', () => {
  it('95 % CI of the mean of 100, 110, 90: 100 ± 4.302653·10/√3 (scipy: 75.15862, 124.84138)', () => {
    const ci = meanCi([100, 110, 90]);
    expect(ci.low).toBeCloseTo(75.1586228824967, 6);
    expect(ci.high).toBeCloseTo(124.8413771175033, 6);
  });
  it("R's t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p = 0.07939, CI -3.3654832 0.2054832", () => {
    const w = welchTTest(SLEEP_1, SLEEP_2);
    expect(w.t).toBeCloseTo(-1.8608, 4);
    expect(w.df).toBeCloseTo(17.776, 3);
    expect(w.p).toBeCloseTo(0.07939, 5);
    expect(w.low).toBeCloseTo(-3.3654832, 6);
    expect(w.high).toBeCloseTo(0.2054832, 6);
  });
  it('Welch of two constant samples: exact difference, p 0 or 1', () => {
    expect(welchTTest([2, 2], [1, 1]).p).toBe(0);
    expect(welchTTest([2, 2], [2, 2]).p).toBe(1);
  });
  it('ratio CI by the delta method on the log scale, computed by hand', () => {
    // guest 50, 55, 45 (mean 50, s² 25); baseline 100, 110, 90 (mean 100, s² 100).
    // Relative variance terms: 25/(3·50²) = 1/300 and 100/(3·100²) = 1/300 → se = √(2/300).
    // Welch df = (2/300)² / (2·(1/300)²/2) = 4; t(0.975, 4) = 2.776445 (t table).
    const r = ratioCi([50, 55, 45], [100, 110, 90]);
    const se = Math.sqrt(2 / 300);
    expect(r.ratio).toBe(0.5);
    expect(r.df).toBeCloseTo(4, 12);
    expect(r.low).toBeCloseTo(0.5 * Math.exp(-2.776445 * se), 6);
    expect(r.high).toBeCloseTo(0.5 * Math.exp(2.776445 * se), 6);
    expect(() => ratioCi([0, 0], [1, 2])).toThrow(/> 0/);
  });
});

describe('median: the insertion sort (≤ 32 values) and the typed-array sort give what sorting by a − b gives, to the sign of zero', () => {
  const byArraySort = (values: readonly number[]) => {
    const s = [...values].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  it('on 20 000 seeded arrays of 1 to 80 values with ties, −0 and +0, and tiny and huge values', () => {
    let seed = 7;
    const r = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pool = [0, -0, 1, -1, 0.5, -0.5, 1e-300, -1e-300, 1e300, -1e300, 3.25];
    let zeros = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly short (the engine's few runs), some past the insertion sort's 32.
      const n = 1 + Math.floor(r() * (r() < 0.8 ? 12 : 80));
      const xs = Array.from({ length: n }, () => (r() < 0.7 ? pool[Math.floor(r() * pool.length)]! : (r() - 0.5) * 10));
      const want = byArraySort(xs);
      if (want === 0) zeros++;
      expect(Object.is(median(xs), want), JSON.stringify(xs.map((x) => (Object.is(x, -0) ? '-0' : x)))).toBe(true);
    }
    // The zero medians (where the two sorts can differ) were met often.
    expect(zeros).toBeGreaterThan(1000);
  });

  it('past 32 values (the selection): on 3 000 seeded arrays of 33 to 2 000 values, sorted, reversed, with many ties or none', () => {
    let seed = 11;
    const r = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let zeros = 0;
    for (let i = 0; i < 3_000; i++) {
      const n = 33 + Math.floor(r() * (r() < 0.7 ? 400 : 1967));
      const kind = i % 5;
      const distinct = kind === 0 ? 2 : kind === 1 ? 7 : 0;
      let xs = Array.from({ length: n }, () =>
        distinct ? [-0, 0, 1, -1, 2.5, 1e300, -1e-300][Math.floor(r() * distinct)]! : (r() - 0.5) * 10 ** Math.floor(r() * 6),
      );
      if (kind === 3) xs = xs.sort((a, b) => a - b);
      if (kind === 4) xs = xs.sort((a, b) => b - a);
      const want = byArraySort(xs);
      if (want === 0) zeros++;
      expect(Object.is(median(xs), want), `array ${i} of ${n}`).toBe(true);
    }
    expect(zeros).toBeGreaterThan(100);
  });
});
