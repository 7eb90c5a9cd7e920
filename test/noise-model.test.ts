// The noise model of the change-point benchmark: its moment fit against numpy (bench/noise-model.py,
// output pasted below), and its simulation against the model it was drawn from.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../lib/stats/random.js';
import { consecutiveRuns, fitNoiseModel, ratioNoise, ratioSd, unitT, type NoiseModel } from '../bench/noise-model.js';
import type { Recording } from '../bench/record-runs.js';

const recording = JSON.parse(readFileSync(fileURLToPath(new URL('../bench/data/runs-busy.json', import.meta.url)), 'utf8')) as Recording;

describe('fitNoiseModel', () => {
  it('the recorded busy host: the same moments as numpy', () => {
    const fit = fitNoiseModel(recording.runs.map((r) => ({ arm: r.arm, values: r.trials.map((t) => t.events_per_sec) })));
    // python3 bench/noise-model.py bench/data/runs-busy.json
    const ref = {
      sigma: 0.1660265744217348,
      tau: 0.2808667153185121,
      phi: 0.7257413739159146,
      kurtTrial: 1.617351619856386,
      kurtRun: 3.742570951557095,
      armMeans: { A: 9.507099325682514, B: 9.52102333369682 },
    };
    for (const k of ['sigma', 'tau', 'phi', 'kurtTrial', 'kurtRun'] as const) expect(fit[k]).toBeCloseTo(ref[k], 9);
    expect(fit.armMeans.A).toBeCloseTo(ref.armMeans.A, 9);
    expect(fit.armMeans.B).toBeCloseTo(ref.armMeans.B, 9);
    // Its Gaussian maximum-likelihood fit (same script): σ 0.1658, τ 0.2817, φ 0.7234 — the moments describe the data.
    expect(fit.nuRun).toBeCloseTo(4 + 6 / ref.kurtRun, 9);
    expect(fit.trials).toBe(3);
  });

  it('bad input: too few runs, runs of different lengths, a non-positive value', () => {
    const run = (values: number[]) => ({ arm: 'A', values });
    expect(() => fitNoiseModel(Array.from({ length: 9 }, () => run([1, 2])))).toThrow(/at least 10 runs/);
    expect(() => fitNoiseModel([...Array.from({ length: 10 }, () => run([1, 2])), run([1, 2, 3])])).toThrow(/same number/);
    expect(() => fitNoiseModel(Array.from({ length: 10 }, () => run([1, 0])))).toThrow(/positive/);
  });
});

describe('simulation', () => {
  const model: NoiseModel = { trials: 3, sigma: 0.05, tau: 0.08, phi: 0.6, nuTrial: 8, nuRun: 6 };

  it('unit t draws have variance 1 and the t kurtosis 6/(ν − 4)', () => {
    const r = mulberry32(3);
    const x = Array.from({ length: 400_000 }, () => unitT(10, r));
    const v = x.reduce((a, b) => a + b * b, 0) / x.length;
    const k = x.reduce((a, b) => a + b ** 4, 0) / x.length / (v * v) - 3;
    expect(v).toBeCloseTo(1, 1);
    expect(k).toBeGreaterThan(0.6); // 6/(10 − 4) = 1; the sample kurtosis of t10 converges slowly
    expect(k).toBeLessThan(1.4);
  });

  it('refitting runs drawn from the model gives its parameters back', () => {
    const r = mulberry32(11);
    const runs: Array<{ arm: string; values: number[] }> = [];
    // 40 stretches of 200 consecutive runs (independent hosts), each run's trials drawn around its mean.
    for (let s = 0; s < 40; s++) {
      const means = consecutiveRuns({ ...model, sigma: 0, trials: 1 }, 200, r);
      for (const mu of means) runs.push({ arm: 'A', values: Array.from({ length: 3 }, () => Math.exp(mu + model.sigma * unitT(model.nuTrial, r))) });
    }
    const fit = fitNoiseModel(runs);
    expect(fit.sigma).toBeCloseTo(model.sigma, 2);
    expect(fit.tau).toBeGreaterThan(model.tau * 0.95);
    expect(fit.tau).toBeLessThan(model.tau * 1.05);
    expect(fit.phi).toBeGreaterThan(0.55); // 40 seams between stretches pull it down a little
    expect(fit.phi).toBeLessThan(0.65);
  });

  it('ratioSd is the SD of ratioNoise, paired and unpaired', () => {
    for (const design of ['paired', 'unpaired'] as const) {
      const r = mulberry32(5);
      const x = Array.from({ length: 100_000 }, () => ratioNoise(model, design, r));
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
      expect(sd / ratioSd(model, design)).toBeGreaterThan(0.98);
      expect(sd / ratioSd(model, design)).toBeLessThan(1.02);
    }
    // Pairing cancels the shared host state: 0.0617 against 0.1296 (computed by hand from the formulas).
    expect(ratioSd(model, 'paired')).toBeCloseTo(Math.sqrt(0.0064 * (1 + 1.36 / 2 - 1.2) + (1.5 * 0.0025) / 3), 12);
    expect(ratioSd(model, 'unpaired')).toBeCloseTo(Math.sqrt(2 * (0.0064 + 0.0025 / 3)), 12);
  });
});
