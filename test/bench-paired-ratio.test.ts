// bench/paired-ratio.ts: the ingest and perturbation goals decided on the interval of the median pair ratio.
// Expected values worked by hand: with 9 pairs the 95 % interval is [x(2), x(8)] of the sorted
// ratios (coverage 1 − 2·(1 + 9)/512 = 0.9609375; k = 3 would give 1 − 2·46/512 = 0.82).
import { describe, expect, it } from 'vitest';
import { pairedRatio } from '../bench/paired-ratio.js';

const pairs = (ratios: number[]) => ratios.map((r) => ({ num: r * 30_000, den: 30_000 }));

describe('paired ratio verdict', () => {
  it('met: the 2nd smallest of 9 ratios is ≥ 0.7, though the smallest is not', () => {
    const r = pairedRatio(pairs([0.8, 0.65, 0.75, 0.72, 0.9, 0.71, 0.78, 0.74, 0.76]), 0.7);
    // sorted: 0.65 0.71 0.72 0.74 0.75 0.76 0.78 0.8 0.9 → median 0.75, interval [0.71, 0.8]
    expect(r.median).toBeCloseTo(0.75, 12);
    expect(r.low).toBeCloseTo(0.71, 12);
    expect(r.high).toBeCloseTo(0.8, 12);
    expect(r.coverage).toBeCloseTo(0.9609375, 12);
    expect(r.ranks).toEqual([2, 8]);
    expect(r.verdict).toBe('met');
  });
  it('not met: the 2nd largest of 9 is below 0.7, though the largest is not', () => {
    const r = pairedRatio(pairs([0.6, 0.62, 0.75, 0.64, 0.66, 0.61, 0.69, 0.63, 0.65]), 0.7);
    // sorted: 0.6 0.61 0.62 0.63 0.64 0.65 0.66 0.69 0.75 → median 0.64, interval [0.61, 0.69]
    expect(r.median).toBeCloseTo(0.64, 12);
    expect([r.low, r.high].map((x) => Number(x!.toFixed(12)))).toEqual([0.61, 0.69]);
    expect(r.verdict).toBe('not met');
  });
  it('not shown: the interval straddles the goal even with the median above it', () => {
    const r = pairedRatio(pairs([0.68, 0.66, 0.75, 0.72, 0.9, 0.71, 0.78, 0.74, 0.76]), 0.7);
    // sorted: 0.66 0.68 0.71 ... → low 0.68 < 0.7 ≤ high 0.78
    expect(r.median).toBeCloseTo(0.74, 12);
    expect(r.low).toBeCloseTo(0.68, 12);
    expect(r.verdict).toBe('not shown');
  });
  it('exactly at the goal counts as met (≥), and 5 pairs are too few for a 95 % interval', () => {
    expect(pairedRatio(pairs([0.7, 0.7, 0.7, 0.7, 0.7, 0.7]), 0.7).verdict).toBe('met');
    // 6 pairs: the interval is [x(1), x(6)] (coverage 1 − 2/64); an upper end exactly at the goal is not below it
    expect(pairedRatio(pairs([0.6, 0.6, 0.6, 0.6, 0.6, 0.7]), 0.7)).toMatchObject({ verdict: 'not shown', coverage: 1 - 2 / 64 });
    const five = pairedRatio(pairs([0.9, 0.9, 0.9, 0.9, 0.9]), 0.7);
    expect(five).toMatchObject({ low: null, high: null, verdict: 'not shown' });
    expect(five.median).toBeCloseTo(0.9, 12);
  });
  it('the ratio is numerator over denominator of the same pair, not of medians', () => {
    // medians of the sides: 100 / 100 = 1; pair ratios 0.5, 0.5, 2, 0.5, 0.5, 2 → median 0.5
    const r = pairedRatio(
      [
        { num: 50, den: 100 },
        { num: 100, den: 200 },
        { num: 200, den: 100 },
        { num: 100, den: 200 },
        { num: 50, den: 100 },
        { num: 200, den: 100 },
      ],
      0.7,
    );
    expect(r.median).toBe(0.5);
  });
  it('rejects a pair without a ratio rather than reporting NaN', () => {
    expect(() => pairedRatio([{ num: 1, den: 0 }], 0.7)).toThrow(/1 \/ 0 has no ratio/);
    expect(() => pairedRatio([], 0.7)).toThrow(/no pairs/);
  });
});
