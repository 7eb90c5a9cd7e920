// The trial rule: run N trials; then add trials, up to a cap (2N), while the headline metrics
// are not yet measured precisely enough for the comparison engine to decide. "Precisely enough"
// is asked of the engine itself: compared with a reference measured exactly as well and equal
// to it, would the verdict be decided (equivalent within ±m, or unmeasurable at resolution)?
// If so, a real difference of a size that matters will also be decided against such a reference.
import { compareSamples, type Sample } from './compare.js';
import { DEFAULT_MARGIN_PCT } from './margin.js';

export interface TrialPlan {
  /** Trials always run (the user's --trials N). */
  minTrials: number;
  /** Never more than this (default 2N). */
  maxTrials: number;
  /** The margin ±m the comparison will use (percent). */
  marginPct: number;
}

export interface TrialRuleOptions {
  maxTrials?: number;
  marginPct?: number;
}

/** The plan for `--trials N`: N trials, up to 2N while a headline metric is undecided. */
export function trialPlan(trials: number, options: TrialRuleOptions = {}): TrialPlan {
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials must be an integer ≥ 1, got ${trials}`);
  const maxTrials = options.maxTrials ?? 2 * trials;
  if (!Number.isInteger(maxTrials) || maxTrials < trials) throw new Error(`maxTrials must be an integer ≥ trials (${trials}), got ${maxTrials}`);
  const marginPct = options.marginPct ?? DEFAULT_MARGIN_PCT;
  if (!(marginPct > 0) || !Number.isFinite(marginPct)) throw new Error(`marginPct must be a finite number > 0, got ${marginPct}`);
  return { minTrials: trials, maxTrials, marginPct };
}

export interface TrialDecision {
  addTrial: boolean;
  reason: 'below-min' | 'undecided' | 'decided' | 'max-reached' | 'single-trial';
  /** Headline metrics that are not decided yet. */
  undecided: string[];
}

/** True when this sample is precise enough for a verdict (or can never get one: at resolution). */
export function sampleDecides(sample: Sample, marginPct: number): boolean {
  return compareSamples(sample, sample, { direction: 'higher', marginPct }).verdict !== 'inconclusive';
}

/**
 * Decides after each finished trial whether to run another. `samples` maps each headline
 * metric of the test to its values so far (failed trials left out) and printing step.
 */
export function decideTrial(samples: Readonly<Record<string, Sample>>, trialsDone: number, plan: TrialPlan): TrialDecision {
  const undecided = Object.entries(samples)
    .filter(([, s]) => !sampleDecides(s, plan.marginPct))
    .map(([metric]) => metric);
  if (trialsDone >= plan.maxTrials) return { addTrial: false, reason: 'max-reached', undecided };
  if (trialsDone < plan.minTrials) return { addTrial: true, reason: 'below-min', undecided };
  // `--trials 1` asks for one quick run: one value has no spread to judge, so none is added.
  if (plan.minTrials === 1) return { addTrial: false, reason: 'single-trial', undecided };
  return undecided.length > 0 ? { addTrial: true, reason: 'undecided', undecided } : { addTrial: false, reason: 'decided', undecided };
}
