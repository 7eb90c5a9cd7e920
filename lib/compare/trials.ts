// The trial rule (after the Phoronix Test Suite): run N trials; while the relative standard
// deviation of the headline metric is above a threshold (3.5 %), add a trial, up to 2N.
import { mean, rsd } from './stats.js';

export const DEFAULT_RSD_THRESHOLD = 0.035;

export interface TrialPlan {
  /** Trials always run (the user's --trials N). */
  minTrials: number;
  /** Never more than this (default 2N). */
  maxTrials: number;
  /** Add trials while RSD is above this fraction (0.035 = 3.5 %). */
  rsdThreshold: number;
}

export interface TrialRuleOptions {
  rsdThreshold?: number;
  maxTrials?: number;
}

/** The plan for `--trials N`: N trials, up to 2N while the RSD is above the threshold. */
export function trialPlan(trials: number, options: TrialRuleOptions = {}): TrialPlan {
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials must be an integer ≥ 1, got ${trials}`);
  const maxTrials = options.maxTrials ?? 2 * trials;
  if (!Number.isInteger(maxTrials) || maxTrials < trials) throw new Error(`maxTrials must be an integer ≥ trials (${trials}), got ${maxTrials}`);
  const rsdThreshold = options.rsdThreshold ?? DEFAULT_RSD_THRESHOLD;
  if (!(rsdThreshold >= 0) || !Number.isFinite(rsdThreshold)) throw new Error(`rsdThreshold must be a finite number ≥ 0, got ${rsdThreshold}`);
  return { minTrials: trials, maxTrials, rsdThreshold };
}

export interface TrialDecision {
  addTrial: boolean;
  /** RSD of the values so far (null with fewer than 2 values or a mean of 0). */
  rsd: number | null;
  reason: 'below-min' | 'rsd-above-threshold' | 'stable' | 'max-reached' | 'rsd-undefined';
}

/**
 * Decides after each finished trial whether to run another one. `values` are the headline
 * metric of the trials so far (see primaryMetric in metrics.ts); failed trials left out.
 */
export function decideTrial(values: readonly number[], plan: TrialPlan): TrialDecision {
  const r = values.length >= 2 && mean(values) !== 0 ? rsd(values) : null;
  if (values.length >= plan.maxTrials) return { addTrial: false, rsd: r, reason: 'max-reached' };
  if (values.length < plan.minTrials) return { addTrial: true, rsd: r, reason: 'below-min' };
  // One trial (N = 1) or an all-zero metric: nothing to judge the spread by, stop.
  if (r === null) return { addTrial: false, rsd: r, reason: 'rsd-undefined' };
  return r > plan.rsdThreshold ? { addTrial: true, rsd: r, reason: 'rsd-above-threshold' } : { addTrial: false, rsd: r, reason: 'stable' };
}

/** Short form: true while another trial is due (values.length < minTrials, or RSD > threshold and below maxTrials). */
export function shouldAddTrial(values: readonly number[], options: { rsdThreshold?: number; maxTrials: number; minTrials?: number }): boolean {
  const minTrials = options.minTrials ?? Math.min(values.length, options.maxTrials);
  return decideTrial(values, { minTrials: Math.max(1, minTrials), maxTrials: options.maxTrials, rsdThreshold: options.rsdThreshold ?? DEFAULT_RSD_THRESHOLD }).addTrial;
}
