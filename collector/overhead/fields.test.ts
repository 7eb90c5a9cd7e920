// The `overhead` point's `worse_by_pct`: the number the alert rules reduce must say `worse`
// exactly when the stored verdict does, including where the engine caps a verdict that the
// interval alone would give (a guest run its agent judged disturbed).
import { describe, expect, it } from 'vitest';
import { compareRuns, type RunValues } from '../../lib/compare/index.js';
import { overheadFields, worseByPct } from './compute.js';

const H = 6n * 3_600_000_000_000n;
const run = (i: number, level: number, flagged = 0): RunValues => ({
  runId: `r${i}`,
  startNs: BigInt(i) * H,
  values: [level * 0.999, level, level * 1.001],
  step: 0.01,
  flagged,
});
/** Eight steady baseline runs around t = 10, and a guest with ten steady earlier runs at `level`. */
function judge(guestLevel: number, flagged = 0) {
  const baseline = Array.from({ length: 8 }, (_, i) => run(6 + i, 1000 * (1 + 0.002 * Math.sin(i))));
  const history = Array.from({ length: 10 }, (_, i) => run(i - 10, guestLevel * (1 + 0.002 * Math.cos(i))));
  const comparison = compareRuns({ runs: [run(10, guestLevel, flagged)], history }, { runs: baseline }, 10n * H, {
    direction: 'higher',
    marginPct: 3,
  });
  return { comparison, margin: { marginPct: 3, source: 'default' as const, rule: 'table' } };
}

describe('worse_by_pct', () => {
  it('is ci_low − margin, > 0, when the verdict is worse (a guest 25 % slower)', () => {
    const c = judge(800);
    expect(c.comparison.verdict).toBe('worse');
    const f = overheadFields(c);
    expect(f.worse_by_pct).toBeCloseTo(c.comparison.overheadLowPct! - 3, 12);
    expect(f.worse_by_pct as number).toBeGreaterThan(0);
  });

  it('is ≤ 0 when the engine caps the same interval at inconclusive (its agent judged the run disturbed)', () => {
    const c = judge(800, 3);
    expect(c.comparison.verdict).toBe('inconclusive');
    // The interval alone still clears the margin: ci_low − margin would have fired the alert.
    expect(c.comparison.overheadLowPct! - 3).toBeGreaterThan(0);
    expect(overheadFields(c).worse_by_pct).toBe(0);
  });

  it('is the (negative) distance below the margin for an equivalent guest', () => {
    const c = judge(1000);
    expect(c.comparison.verdict).not.toBe('worse');
    expect(overheadFields(c).worse_by_pct).toBeCloseTo(Math.min(0, c.comparison.overheadLowPct! - 3), 12);
  });

  it('is 0 without an interval, and a worse verdict without one is refused', () => {
    expect(worseByPct({ verdict: 'unmeasurable', overheadLowPct: null }, 3)).toBe(0);
    expect(() => worseByPct({ verdict: 'worse', overheadLowPct: 2 }, 3)).toThrow(/without an interval above the margin/);
  });
});
