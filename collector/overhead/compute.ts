// One overhead value: guest trials against baseline trials for one metric. Pure function,
// so the collector, the report and the tests share the exact arithmetic.
import { mean, ratioCi } from './stats.js';
import { overheadPct, overheadPctInterval, type Direction } from '../../schema/metrics.js';

export interface OverheadFields {
  guest_value: number;
  baseline_value: number;
  ratio: number;
  overhead_pct: number;
  /** Absent when either side has fewer than 2 trials (no spread to build an interval from). */
  ci_low_pct?: number;
  ci_high_pct?: number;
  n_guest: number;
  n_baseline: number;
}

/**
 * Means over the trials, ratio = guest/baseline, overhead by the metric's direction, and the
 * 95 % interval of the ratio (delta method on the log scale) mapped to percent. Returns null
 * when a mean is not > 0: a ratio against 0 (e.g. latency_min_ms printed as 0.00) says nothing.
 */
export function computeOverhead(guest: readonly number[], baseline: readonly number[], direction: Direction, level = 0.95): OverheadFields | null {
  if (guest.length === 0 || baseline.length === 0) return null;
  const g = mean(guest);
  const b = mean(baseline);
  if (!(g > 0) || !(b > 0)) return null;
  const ratio = g / b;
  const out: OverheadFields = {
    guest_value: g,
    baseline_value: b,
    ratio,
    overhead_pct: overheadPct(ratio, direction),
    n_guest: guest.length,
    n_baseline: baseline.length,
  };
  if (guest.length >= 2 && baseline.length >= 2) {
    const ci = ratioCi(guest, baseline, level);
    [out.ci_low_pct, out.ci_high_pct] = overheadPctInterval(ci.low, ci.high, direction);
  }
  return out;
}
