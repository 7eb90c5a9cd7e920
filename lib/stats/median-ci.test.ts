// Reference: R `qbinom(0.025, 20, 0.5)` = 6 → the 95 % interval of a median of 20 is [x(6), x(15)],
// coverage 1 − 2·pbinom(5, 20, 0.5) = 1 − 2·0.02069473 = 0.9586105 (scipy.stats.binom.cdf(5, 20, 0.5) = 0.020694732666015625).
import { describe, expect, it } from 'vitest';
import { medianCi } from './median-ci.js';

describe('distribution-free interval of the median', () => {
  it('n = 20: ranks 6 and 15, coverage 0.9586105', () => {
    const xs = Array.from({ length: 20 }, (_, i) => 20 - i); // 20..1, unsorted on purpose
    const ci = medianCi(xs)!;
    expect(ci.ranks).toEqual([6, 15]);
    expect([ci.low, ci.high]).toEqual([6, 15]);
    expect(ci.coverage).toBeCloseTo(1 - 2 * 0.020694732666015625, 12);
  });
  it('n = 7 reaches 95 % only with the extremes (coverage 1 − 2/128); n = 5 cannot', () => {
    expect(medianCi([1, 2, 3, 4, 5, 6, 7])).toMatchObject({ low: 1, high: 7, coverage: 1 - 2 / 128 });
    expect(medianCi([1, 2, 3, 4, 5])).toBeNull();
  });
});
