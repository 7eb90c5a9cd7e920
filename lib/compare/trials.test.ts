import { describe, expect, it } from 'vitest';
import { decideTrial, shouldAddTrial, trialPlan } from './trials.js';

describe('trial rule (N trials, add while RSD > 3.5 %, up to 2N)', () => {
  it('plans N..2N with a 3.5 % threshold by default', () => {
    expect(trialPlan(3)).toEqual({ minTrials: 3, maxTrials: 6, rsdThreshold: 0.035 });
    expect(() => trialPlan(0)).toThrow(/trials/);
    expect(() => trialPlan(3, { maxTrials: 2 })).toThrow(/maxTrials/);
  });
  it('runs the first N regardless of spread', () => {
    expect(decideTrial([100], trialPlan(3))).toMatchObject({ addTrial: true, reason: 'below-min' });
  });
  it('stops when stable: 100, 101, 99 has RSD 1 % (s = 1, mean 100)', () => {
    const d = decideTrial([100, 101, 99], trialPlan(3));
    expect(d).toMatchObject({ addTrial: false, reason: 'stable' });
    expect(d.rsd).toBeCloseTo(0.01, 12);
  });
  it('adds while noisy: 100, 110, 90 has RSD 10 %; stops at 2N', () => {
    expect(decideTrial([100, 110, 90], trialPlan(3))).toMatchObject({ addTrial: true, reason: 'rsd-above-threshold' });
    expect(decideTrial([100, 110, 90, 100, 110, 90], trialPlan(3))).toMatchObject({ addTrial: false, reason: 'max-reached' });
  });
  it('threshold boundary: RSD exactly at the threshold stops', () => {
    // 96.5, 100, 103.5: s = 3.5, mean 100 → RSD 0.035 (not above).
    expect(shouldAddTrial([96.5, 100, 103.5], { rsdThreshold: 0.036, maxTrials: 6 })).toBe(false);
    expect(shouldAddTrial([96.5, 100, 103.5], { rsdThreshold: 0.034, maxTrials: 6 })).toBe(true);
    expect(shouldAddTrial([100, 110, 90], { rsdThreshold: 0.035, maxTrials: 3 })).toBe(false);
  });
});
