import { describe, expect, it } from 'vitest';
import { decideTrial, sampleDecides, trialPlan } from './trials.js';

describe('trial rule: N trials, then more (up to 2N) while a headline metric cannot be decided', () => {
  it('plans N..2N with the default 3 % margin', () => {
    expect(trialPlan(3)).toEqual({ minTrials: 3, maxTrials: 6, marginPct: 3 });
    expect(() => trialPlan(0)).toThrow(/trials/);
    expect(() => trialPlan(3, { maxTrials: 2 })).toThrow(/maxTrials/);
    expect(() => trialPlan(3, { marginPct: 0 })).toThrow(/marginPct/);
  });
  it('--trials 1 runs exactly one trial (one value has no spread to judge)', () => {
    expect(decideTrial({ events_per_sec: { values: [100] } }, 1, trialPlan(1))).toMatchObject({ addTrial: false, reason: 'single-trial' });
  });
  it('runs the first N regardless', () => {
    expect(decideTrial({ events_per_sec: { values: [100] } }, 1, trialPlan(3))).toMatchObject({ addTrial: true, reason: 'below-min' });
  });
  it('stops when precise: 1000, 1001, 999 (RSD 0.1 %) is decided against an equal reference', () => {
    expect(decideTrial({ events_per_sec: { values: [1000, 1001, 999] } }, 3, trialPlan(3))).toMatchObject({ addTrial: false, reason: 'decided' });
  });
  it('adds while imprecise: 100, 110, 90 (RSD 10 %) is not; stops at 2N', () => {
    expect(decideTrial({ events_per_sec: { values: [100, 110, 90] } }, 3, trialPlan(3))).toMatchObject({
      addTrial: true,
      reason: 'undecided',
      undecided: ['events_per_sec'],
    });
    expect(decideTrial({ events_per_sec: { values: [100, 110, 90, 100, 110, 90] } }, 6, trialPlan(3))).toMatchObject({
      addTrial: false,
      reason: 'max-reached',
    });
  });
  it('every headline metric must be decided; one at resolution counts as decided (more trials cannot help)', () => {
    const s = {
      events_per_sec: { values: [1000, 1001, 999] },
      latency_avg_ms: { values: [0.02, 0.03, 0.02], resolution: 0.01 },
      latency_pct_ms: { values: [1.2, 1.9, 1.5] },
    };
    expect(sampleDecides(s.latency_avg_ms, 3)).toBe(true);
    expect(decideTrial(s, 3, trialPlan(3))).toMatchObject({ addTrial: true, undecided: ['latency_pct_ms'] });
  });
  it('the threshold: 2 % RSD needs more trials at 3 trials than at 5 for a 3 % margin', () => {
    // 3 trials: t(0.95, df) with df ≈ 4 and relative SE √2·0.02/√3 → 90 % interval ±3.1 % > 3 %.
    expect(sampleDecides({ values: [98, 100, 102] }, 3)).toBe(false);
    expect(sampleDecides({ values: [98, 100, 102, 98, 102] }, 3)).toBe(true);
  });
});
