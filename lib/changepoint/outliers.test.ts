// isolatedOutliers and the change-point options beyond Otava's (maxSegment, mergeWithin), on
// series built here whose answers are known by construction.
import { describe, expect, it } from 'vitest';
import { changePoints, isolatedOutliers } from './index.js';

/** Deterministic noise in [-1, 1) (an LCG: the test must not depend on Math.random). */
function noise(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}
const noisy = (n: number, level: (i: number) => number, amp: number, seed = 1) => {
  const r = noise(seed);
  return Array.from({ length: n }, (_, i) => level(i) + amp * r());
};

describe('isolatedOutliers', () => {
  it('finds single spikes either way, including the first and last run', () => {
    const v = noisy(60, () => 10, 0.5);
    v[0] = 30;
    v[17] = 40;
    v[41] = -20;
    v[59] = 25;
    expect(isolatedOutliers(v)).toEqual([0, 17, 41, 59]);
  });

  it('a step, and a new level held by the last two runs, are not outliers', () => {
    expect(isolatedOutliers(noisy(60, (i) => (i < 30 ? 10 : 30), 0.5))).toEqual([]);
    expect(isolatedOutliers(noisy(40, (i) => (i < 38 ? 10 : 30), 0.5))).toEqual([]);
  });

  it('noise alone, flat data and short series have none', () => {
    for (const seed of [1, 2, 3]) expect(isolatedOutliers(noisy(200, () => 5, 1, seed))).toEqual([]);
    expect(isolatedOutliers([3, 3, 3, 3, 9])).toEqual([]); // no spread to judge by
    expect(isolatedOutliers([1, 50])).toEqual([]);
  });

  it('rejects nonsense options', () => {
    expect(() => isolatedOutliers([1, 2, 3], { halfWindow: 0 })).toThrow(/half window/);
    expect(() => isolatedOutliers([1, 2, 3], { threshold: 0 })).toThrow(/threshold/);
  });
});

describe('changePoints: maxSegment', () => {
  it('a 3-run shift after a long history holding two outliers is found against the nearest runs only', () => {
    // 300 runs at 2 ± 0.5 with two runs at 40 (outliers a year ago), then three runs at 4.
    const v = [...noisy(300, () => 2, 0.5), 4.1, 3.9, 4.05];
    v[100] = 40;
    v[200] = 40;
    // Against all 300 runs the outliers widen the pooled SD to ~3: the 2-point rise is noise.
    expect(changePoints(v, { maxPValue: 1e-4, minSegment: 3 }).map((c) => c.index)).toEqual([]);
    const near = changePoints(v, { maxPValue: 1e-4, minSegment: 3, maxSegment: 30 });
    expect(near.map((c) => c.index)).toEqual([300]);
    expect([near[0]!.stats.nBefore, near[0]!.stats.nAfter]).toEqual([30, 3]);
  });
});

describe('changePoints: mergeWithin', () => {
  const opts = { maxPValue: 1e-4, minSegment: 3, maxSegment: 50 };
  it('a bump of 4 runs that went back is a transient: two points without merging, none with', () => {
    const v = noisy(100, (i) => (i >= 40 && i < 44 ? 8 : 2), 0.3);
    expect(changePoints(v, opts).map((c) => c.index)).toEqual([40, 44]);
    expect(changePoints(v, { ...opts, mergeWithin: 8 })).toEqual([]);
  });

  it('a shift in two steps 4 runs apart is one change, at the first step', () => {
    const v = noisy(100, (i) => (i < 50 ? 2 : i < 54 ? 6 : 10), 0.3);
    expect(changePoints(v, opts).map((c) => c.index)).toEqual([50, 54]);
    expect(changePoints(v, { ...opts, mergeWithin: 8 }).map((c) => c.index)).toEqual([50]);
  });

  it('changes further apart stay apart', () => {
    const v = noisy(100, (i) => (i >= 40 && i < 60 ? 8 : 2), 0.3);
    expect(changePoints(v, { ...opts, mergeWithin: 8 }).map((c) => c.index)).toEqual([40, 60]);
  });
});
