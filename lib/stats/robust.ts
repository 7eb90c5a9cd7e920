// Robust summaries for the comparison engine's run rules: a scale that one wild value cannot
// inflate (the median absolute deviation), and the lag-one autocorrelation of a series.
import { mean, median } from './stats.js';

/** 1 / Φ⁻¹(3/4): makes the MAD estimate the standard deviation of normal data. */
export const MAD_TO_SD = 1.482602218505602;

/** Median absolute deviation from the median (raw, not scaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** A robust standard deviation: MAD · 1.4826 (consistent for normal data; 50 % breakdown). */
export function robustSd(values: readonly number[]): number {
  return MAD_TO_SD * mad(values);
}

/**
 * Lag-one autocorrelation of a series in time order (the usual estimator: lag-one
 * autocovariance over the variance, both about the mean). 0 with fewer than 3 values or no spread.
 */
export function lag1Autocorrelation(values: readonly number[]): number {
  if (values.length < 3) return 0;
  const m = mean(values);
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    den += (values[i]! - m) ** 2;
    if (i > 0) num += (values[i]! - m) * (values[i - 1]! - m);
  }
  return den > 0 ? num / den : 0;
}
