import { describe, expect, it } from 'vitest';
import { decideTrial, trialPlan, trialsStillHelp } from './trials.js';

describe('trial rule: another trial only while it still narrows the run mean against the run-to-run spread', () => {
  it('plans N..2N with τ₀ = 2 %', () => {
    expect(trialPlan(3)).toEqual({ minTrials: 3, maxTrials: 6, runSd: 0.02 });
    expect(() => trialPlan(0)).toThrow(/trials/);
    expect(() => trialPlan(3, { maxTrials: 2 })).toThrow(/maxTrials/);
  });
  it('--trials 1 runs exactly one trial', () => {
    expect(decideTrial({ events_per_sec: { values: [100] } }, 1, trialPlan(1))).toMatchObject({ addTrial: false, reason: 'single-trial' });
  });
  it('runs the first N regardless', () => {
    expect(decideTrial({ events_per_sec: { values: [100] } }, 1, trialPlan(3))).toMatchObject({ addTrial: true, reason: 'below-min' });
  });
  it('stops when se ≤ τ/2: 1000, 1001, 999 (RSD 0.1 %, se 0.06 % ≤ 1 %)', () => {
    expect(decideTrial({ events_per_sec: { values: [1000, 1001, 999] } }, 3, trialPlan(3))).toMatchObject({ addTrial: false, reason: 'decided' });
  });
  it('by hand: RSD 2 % needs 4 trials (se = 2/√n ≤ 1 % from n = 4); a scattered host needs 4 too, never more', () => {
    // 98, 100, 102: s = 2, RSD 2 %: se = 2/√3 = 1.155 % > τ/2 = 1 % → one more.
    expect(trialsStillHelp({ values: [98, 100, 102] })).toBe(true);
    expect(trialsStillHelp({ values: [98, 100, 102, 100] })).toBe(false); // s = 1.633, se 0.816 %
    // RSD 10 %: τ = max(2 %, 10 %) = 10 %, se = 10/√n ≤ 5 % from n = 4.
    expect(trialsStillHelp({ values: [90, 100, 110] })).toBe(true);
    expect(trialsStillHelp({ values: [90, 100, 110, 100] })).toBe(false);
  });
  it('every headline metric counts; a mean of 0 (at resolution) never asks for more', () => {
    const s = { events_per_sec: { values: [1000, 1001, 999] }, latency_avg_ms: { values: [0, 0, 0] }, latency_pct_ms: { values: [1.2, 1.9, 1.5] } };
    expect(decideTrial(s, 3, trialPlan(3))).toMatchObject({ addTrial: true, undecided: ['latency_pct_ms'] });
    expect(decideTrial(s, 6, trialPlan(3))).toMatchObject({ addTrial: false, reason: 'max-reached' });
  });
});
