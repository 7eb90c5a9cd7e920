// findStep takes the scale (robustSd of the residuals: two sorts) of the best split only, not of
// every split: the same step as taking each split's z and keeping the best's (the code before,
// written out here) on series with a step anywhere, none, or two, and on ties.
import { describe, expect, it } from 'vitest';
import { median } from '../stats/stats.js';
import { STEP_MIN_RUNS, STEP_Z, findStep, moderatedScale } from './clean.js';
import type { RunMean } from './runs.js';

/** The split's z computed for every split, the best (least cost, first on ties) kept: 7ff697b's findStep. */
function everySplit(runs: readonly RunMean[], floor: number, floorDf: number): number | null {
  let best: { at: number; cost: number; z: number } | null = null;
  for (let at = STEP_MIN_RUNS; at <= runs.length - STEP_MIN_RUNS; at++) {
    const left = runs.slice(0, at).map((r) => r.log);
    const right = runs.slice(at).map((r) => r.log);
    const ml = median(left);
    const mr = median(right);
    const residuals = [...left.map((x) => x - ml), ...right.map((x) => x - mr)];
    const cost = residuals.reduce((a, x) => a + Math.abs(x), 0);
    const scale = moderatedScale(residuals, floor, floorDf);
    const z = Math.abs(ml - mr) / (Math.sqrt(Math.PI / 2) * scale * Math.sqrt(1 / left.length + 1 / right.length));
    if (!best || cost < best.cost) best = { at, cost, z };
  }
  return best && best.z > STEP_Z ? best.at : null;
}

const runOf = (log: number, i: number): RunMean => ({
  runId: `r${i}`,
  startNs: BigInt(i),
  flagged: 0,
  n: 3,
  mean: Math.exp(log),
  log,
  within: 0,
  trialRsd: 0,
  step: 0,
  bound: 0,
});

/** A deterministic generator (no Math.random: the same series on every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe('findStep', () => {
  it('a step late in the series is found (its split, not the first one, decides)', () => {
    const runs = [...Array(7).fill(Math.log(1000)), ...Array(3).fill(Math.log(900))].map((x: number, i) => runOf(x + 1e-4 * Math.sin(i), i));
    expect(findStep(runs, 0.005, 2)).toBe(7);
    expect(everySplit(runs, 0.005, 2)).toBe(7);
  });

  it('equals the split-by-split z on 2 000 series (steps anywhere, none, two; sizes 0–3 % against noise 0.2–2 %; printed values that tie)', () => {
    const next = lcg(26);
    let steps = 0;
    for (let k = 0; k < 2000; k++) {
      const n = 2 + Math.floor(next() * 60);
      const noise = 0.002 + next() * 0.018;
      const at = [Math.floor(next() * n), Math.floor(next() * n)];
      const size = [(next() - 0.5) * 0.06, k % 3 === 0 ? (next() - 0.5) * 0.06 : 0];
      // Every fifth series printed to 2 decimals (many equal logs: ties in the medians and costs).
      const round = k % 5 === 0 ? (x: number) => Math.round(x * 100) / 100 : (x: number) => x;
      const runs = Array.from({ length: n }, (_, i) =>
        runOf(round(7 + (next() - 0.5) * 2 * noise + (i >= at[0]! ? size[0]! : 0) + (i >= at[1]! ? size[1]! : 0)), i),
      );
      const floor = 0.001 + next() * 0.01;
      const got = findStep(runs, floor, 2);
      expect(got).toBe(everySplit(runs, floor, 2));
      if (got !== null) steps++;
    }
    expect(steps).toBeGreaterThan(200); // steps were found, not only their absence compared
  });
});
