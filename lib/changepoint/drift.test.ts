// Drift against steps (drift.ts): the ramp fit against its definition, and model selection on
// a drift that E-divisive cut into a staircase and on a real staircase.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../stats/random.js';
import { changePoints } from './hunter.js';
import { findDrifts, fitRamp, stepsSse } from './drift.js';

function gaussian(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Level a until s, linear to b at e, b after. */
const rampAt = (t: number, s: number, e: number, a: number, b: number) => (t <= s ? a : t >= e ? b : a + ((b - a) * (t - s)) / (e - s));

/** The SSE of the ramp (s, e) fitted by solving its 2×2 least squares directly (no running sums). */
function directSse(y: readonly number[], s: number, e: number): number {
  const w = y.map((_, t) => rampAt(t, s, e, 0, 1));
  let suu = 0;
  let suw = 0;
  let sww = 0;
  let suy = 0;
  let swy = 0;
  y.forEach((v, t) => {
    suu += (1 - w[t]!) ** 2;
    suw += (1 - w[t]!) * w[t]!;
    sww += w[t]! ** 2;
    suy += (1 - w[t]!) * v;
    swy += w[t]! * v;
  });
  const det = suu * sww - suw * suw;
  const a = (suy * sww - swy * suw) / det;
  const b = (swy * suu - suy * suw) / det;
  return y.reduce((acc, v, t) => acc + (v - rampAt(t, s, e, a, b)) ** 2, 0);
}

describe('fitRamp', () => {
  it('finds a noiseless ramp exactly', () => {
    const y = Array.from({ length: 200 }, (_, t) => rampAt(t, 60, 140, 1, 3));
    const r = fitRamp(y, 0, 200, [0, 100], [100, 200], 9, true)!;
    expect([r.start, r.end]).toEqual([60, 140]);
    expect(r.before).toBeCloseTo(1, 10);
    expect(r.after).toBeCloseTo(3, 10);
    expect(r.sse).toBeCloseTo(0, 10);
  });

  it('its SSE is the direct least squares; coarse-to-fine finds the exhaustive optimum on a noisy drift', () => {
    const g = mulberry32(3);
    const y = Array.from({ length: 600 }, (_, t) => rampAt(t, 150, 450, 0, 0.2) + 0.01 * gaussian(g));
    const ex = fitRamp(y, 0, 600, [0, 300], [300, 600], 9, true)!;
    expect(ex.sse).toBeCloseTo(directSse(y, ex.start, ex.end), 9);
    const fast = fitRamp(y, 0, 600, [0, 300], [300, 600], 9)!;
    expect([fast.start, fast.end]).toEqual([ex.start, ex.end]);
    expect(Math.abs(ex.start - 150)).toBeLessThan(15);
    expect(Math.abs(ex.end - 450)).toBeLessThan(15);
  });

  it('stepsSse: one level per piece', () => {
    expect(stepsSse([1, 3, 10, 12, 12], 0, 5, [2])).toBeCloseTo(2 + 8 / 3, 12);
  });
});

describe('findDrifts', () => {
  const options = { maxPValue: 2e-5, minAbsChange: 0.01, windowLen: 50, minSegment: 3, maxSegment: 50, mergeWithin: 8, autocorrelation: 0 };

  it('a slow drift that E-divisive cuts into steps is one drift', () => {
    const g = mulberry32(5);
    const y = Array.from({ length: 600 }, (_, t) => Math.log1p(0.2 * rampAt(t, 150, 450, 0, 1)) + 0.01 * gaussian(g));
    const cps = changePoints(y, options);
    expect(cps.length).toBeGreaterThan(1); // the staircase
    const d = findDrifts(y, cps, { minRuns: 8, rho: 0 });
    expect(d).toHaveLength(1);
    expect([d[0]!.first, d[0]!.last]).toEqual([0, cps.length - 1]);
    expect(Math.abs(d[0]!.ramp.start - 150)).toBeLessThan(15);
    expect(Math.abs(d[0]!.ramp.end - 450)).toBeLessThan(15);
    expect(d[0]!.ramp.after - d[0]!.ramp.before).toBeCloseTo(Math.log1p(0.2), 2);
    expect(d[0]!.pValue).toBeLessThan(1e-10);
  });

  it('two real steps in the same direction, flat between, stay steps; so does one step', () => {
    const g = mulberry32(6);
    const y = Array.from({ length: 300 }, (_, t) => (t >= 100 ? 0.1 : 0) + (t >= 200 ? 0.1 : 0) + 0.01 * gaussian(g));
    const cps = changePoints(y, options);
    expect(cps.map((c) => c.index)).toEqual([100, 200]);
    expect(findDrifts(y, cps, { minRuns: 8, rho: 0 })).toEqual([]);
    const one = y.map((v, t) => (t >= 200 ? v - 0.1 : v));
    expect(findDrifts(one, changePoints(one, options), { minRuns: 8, rho: 0 })).toEqual([]);
  });

  it('a change spread over fewer runs than minRuns is a step', () => {
    const g = mulberry32(8);
    const y = Array.from({ length: 200 }, (_, t) => rampAt(t, 100, 106, 0, 0.2) + 0.005 * gaussian(g));
    const cps = changePoints(y, options);
    expect(findDrifts(y, cps, { minRuns: 8, rho: 0 })).toEqual([]);
    // The same change spread over 40 runs is a drift.
    const slow = Array.from({ length: 200 }, (_, t) => rampAt(t, 80, 120, 0, 0.2) + 0.005 * gaussian(g));
    expect(findDrifts(slow, changePoints(slow, options), { minRuns: 8, rho: 0 })).toHaveLength(1);
  });

  it('a lone change point at the newest runs stays a step, even where a ramp still going fits better; two make a drift', () => {
    const g = mulberry32(9);
    // A clean ramp from run 170 still going at run 199: the ramp fits far better than one step.
    const y = Array.from({ length: 200 }, (_, t) => rampAt(t, 170, 230, 0, 0.2) + 0.002 * gaussian(g));
    const cp = (index: number) => ({ index, stats: { meanBefore: 0, meanAfter: 1, stdBefore: 0, stdAfter: 0, nBefore: 1, nAfter: 1, pValue: 0 } });
    expect(findDrifts(y, [cp(190)], { minRuns: 8, rho: 0 })).toEqual([]);
    const two = findDrifts(y, [cp(180), cp(190)], { minRuns: 8, rho: 0 });
    expect(two).toHaveLength(1);
    expect(two[0]!.ramp.end).toBe(200); // still going
  });
});
