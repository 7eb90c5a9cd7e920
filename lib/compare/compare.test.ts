// The comparison engine against an independent implementation: lib/compare/reference.py
// writes the same definitions out with scipy 1.17.1 (stats.t, stats.ttest_ind(equal_var=False)).
// Command: python3 lib/compare/reference.py — its output is pasted with each case below.
import { describe, expect, it } from 'vitest';
import { compareSamples } from './compare.js';

const higher = (marginPct = 3) => ({ direction: 'higher' as const, marginPct });

describe('verdicts, checked against scipy', () => {
  it('identical samples: equivalent, p = 1 (scipy: ci [-2.331905, 2.387582] %, df 4, TOST p 0.012697, Welch p 1.0)', () => {
    const c = compareSamples({ values: [100, 101, 99], resolution: 1 }, { values: [100, 101, 99], resolution: 1 }, higher());
    expect(c.verdict).toBe('equivalent');
    expect(c.ratio).toBe(1);
    expect(c.overheadPct).toBe(0);
    expect(c.overheadLowPct).toBeCloseTo(-2.331905499117648, 6);
    expect(c.overheadHighPct).toBeCloseTo(2.3875816468361455, 6);
    expect(c.p).toBeCloseTo(1, 12);
  });
  it('zero variance on both sides: no p-value; the printing step alone gives the interval (scipy: ci ±0.000654 %, Welch p nan)', () => {
    const c = compareSamples({ values: [1000, 1000, 1000], resolution: 0.01 }, { values: [1000, 1000, 1000], resolution: 0.01 }, higher());
    expect(c.p).toBeNull();
    expect(c.overheadLowPct).toBeCloseTo(-0.0006544122458707058, 9);
    expect(c.overheadHighPct).toBeCloseTo(0.0006544165284561032, 9);
    expect(c.verdict).toBe('equivalent');
  });
  it("the issue's case: latency 0.0200 ± 0 (n=10) vs 0.0200 ± 0 (n=5) at 0.01 ms is unmeasurable, no p", () => {
    const c = compareSamples({ values: Array(10).fill(0.02) }, { values: Array(5).fill(0.02) }, { direction: 'lower', marginPct: 3 });
    expect(c.verdict).toBe('unmeasurable');
    expect(c.reason).toMatch(/at resolution/);
    expect(c.candidateResolution).toBe(0.01); // inferred from the values
    expect(c.p).toBeNull();
    expect(c.overheadLowPct).toBeNull();
  });
  it('at resolution: 0.02 vs 0.05 ms is never called better, and shows no zero-width interval', () => {
    const c = compareSamples(
      { values: [0.05, 0.05, 0.05], resolution: 0.01 },
      { values: [0.02, 0.02, 0.02], resolution: 0.01 },
      { direction: 'lower', marginPct: 3 },
    );
    expect(c.verdict).toBe('unmeasurable');
    expect(c.overheadLowPct).toBeNull();
    // 10 steps: 0.10 ms at 0.01 is measurable, 0.09 is not.
    expect(compareSamples({ values: [0.1, 0.11, 0.1] }, { values: [0.1, 0.1, 0.11] }, { direction: 'lower', marginPct: 50 }).verdict).not.toBe('unmeasurable');
    expect(compareSamples({ values: [0.09, 0.09, 0.09], resolution: 0.01 }, { values: [0.5, 0.51, 0.5] }, { direction: 'lower', marginPct: 3 }).verdict).toBe(
      'unmeasurable',
    );
  });
  it('equivalent: cpu events/s within ±3 % (scipy: ci [-0.191354, 0.228184] %, df 7.440074, TOST p 1.29e-9, Welch p 0.844807)', () => {
    const c = compareSamples(
      { values: [1000.12, 1002.5, 998.3, 1001.07, 999.4], resolution: 0.01 },
      { values: [1001.0, 999.8, 1000.5, 1002.1, 998.9], resolution: 0.01 },
      higher(),
    );
    expect(c.verdict).toBe('equivalent');
    expect(c.overheadPct).toBeCloseTo(0.018194941806171094, 10);
    expect(c.overheadLowPct).toBeCloseTo(-0.19135432948623743, 6);
    expect(c.overheadHighPct).toBeCloseTo(0.22818416393455276, 6);
    expect(c.p).toBeCloseTo(0.8448070722445504, 8);
  });
  it('clearly worse: 11 % fewer events/s (scipy: +10.963538 % [10.440739, 11.488812], df 3.359422, Welch p 1.564e-6)', () => {
    const c = compareSamples({ values: [900.5, 905.2, 898.7, 902.1], resolution: 0.1 }, { values: [1000.3, 1001.2, 999.5, 1000.9], resolution: 0.1 }, higher());
    expect(c.verdict).toBe('worse');
    expect(c.overheadPct).toBeCloseTo(10.96353805628727, 9);
    expect(c.overheadLowPct).toBeCloseTo(10.440739189305726, 6);
    expect(c.overheadHighPct).toBeCloseTo(11.488811722489833, 6);
    expect(c.p).toBeCloseTo(1.5640953218362947e-6, 10);
  });
  it('clearly better: latency 1.5 vs 2.0 ms (scipy: -23.940150 % [-25.562050, -22.282910], Welch p 5.53e-8)', () => {
    const c = compareSamples(
      { values: [1.52, 1.55, 1.5, 1.53], resolution: 0.01 },
      { values: [2.01, 1.98, 2.03, 2.0], resolution: 0.01 },
      { direction: 'lower', marginPct: 3 },
    );
    expect(c.verdict).toBe('better');
    expect(c.overheadLowPct).toBeCloseTo(-25.562050296735993, 6);
    expect(c.overheadHighPct).toBeCloseTo(-22.28290996747505, 6);
    expect(c.p).toBeCloseTo(5.5311808746963976e-8, 12);
  });
  it('inconclusive with how many more trials: 80, 82, 78 vs 100, 110, 90 (scipy: +25 % [-0.736510, 57.409335], Welch p 0.068953)', () => {
    const c = compareSamples({ values: [80, 82, 78], resolution: 1 }, { values: [100, 110, 90], resolution: 1 }, higher());
    expect(c.verdict).toBe('inconclusive');
    expect(c.overheadLowPct).toBeCloseTo(-0.7365099441445921, 6);
    expect(c.overheadHighPct).toBeCloseTo(57.409335408293984, 6);
    expect(c.p).toBeCloseTo(0.06895280893567197, 8);
    // (25 − (−0.7365)) / (25 − 3) = 1.1698 → k = 1.3685 → (k − 1)·3 = 1.1 → 2 more trials.
    expect(c.moreTrials).toBe(2);
  });
});

describe('bad input gives a reason, never a precise-looking number', () => {
  it('no baseline trials, or none on the compared side: unmeasurable', () => {
    expect(compareSamples({ values: [1, 2] }, { values: [] }, higher())).toMatchObject({
      verdict: 'unmeasurable',
      reason: expect.stringMatching(/no reference/),
      ratio: null,
    });
    expect(compareSamples({ values: [] }, { values: [1, 2] }, higher())).toMatchObject({ verdict: 'unmeasurable', ratio: null });
  });
  it('one baseline trial: inconclusive, no interval, no p', () => {
    const c = compareSamples({ values: [100, 101, 99] }, { values: [100] }, higher());
    expect(c).toMatchObject({ verdict: 'inconclusive', overheadLowPct: null, p: null });
    expect(c.reason).toMatch(/one trial on the reference/);
  });
  it('a mean of 0 (latency printed as 0.00): unmeasurable, no ratio', () => {
    expect(compareSamples({ values: [0, 0] }, { values: [0, 0] }, higher())).toMatchObject({ verdict: 'unmeasurable', ratio: null });
  });
  it('non-finite values and a bad margin are errors', () => {
    expect(() => compareSamples({ values: [1, Number.NaN] }, { values: [1, 2] }, higher())).toThrow(/not a finite number/);
    expect(() => compareSamples({ values: [1, 2] }, { values: [1, 2] }, higher(-1))).toThrow(/marginPct/);
  });
});
