// The trial rule: run N trials; then add a trial (up to 2N) only while it still helps. A run's
// mean is known to √(τ² + se²): τ the run-to-run spread, se = s/√n what its trials leave. More
// trials shrink se and nothing else, so once se ≤ τ/2 the run mean's SD is within 12 % of what
// infinitely many trials would give (√1.25 = 1.118), while one more *run* still cuts the
// interval by √(k/(k+1)): past that point trials buy nothing and the next run should come sooner.
// τ here is what the agent can know alone: the prior τ₀ (spread.ts), or its trials' own scatter
// when larger (a host whose trials scatter scatters its runs as much). So on a quiet host a test
// whose trials agree within ~1 % stops at N, and none ever needs more than 4 trials for its mean.
import { mean, stddev } from '../stats/stats.js';
import { PRIOR_RUN_SD } from './spread.js';

export interface Sample {
  /** One value per successful trial so far. */
  values: readonly number[];
  /** The printing step (only for the record: rounding is shared by the trials, more of them do not shrink it). */
  resolution?: number | null;
}

export interface TrialPlan {
  /** Trials always run (the user's --trials N). */
  minTrials: number;
  /** Never more than this (default 2N). */
  maxTrials: number;
  /** The smallest run-to-run spread assumed (τ₀, log SD: 0.02 = 2 %). */
  runSd: number;
}

export interface TrialRuleOptions {
  maxTrials?: number;
}

/** The plan for `--trials N`: N trials, up to 2N while a headline metric's trials still help. */
export function trialPlan(trials: number, options: TrialRuleOptions = {}): TrialPlan {
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials must be an integer ≥ 1, got ${trials}`);
  const maxTrials = options.maxTrials ?? 2 * trials;
  if (!Number.isInteger(maxTrials) || maxTrials < trials) throw new Error(`maxTrials must be an integer ≥ trials (${trials}), got ${maxTrials}`);
  return { minTrials: trials, maxTrials, runSd: PRIOR_RUN_SD };
}

export interface TrialDecision {
  addTrial: boolean;
  reason: 'below-min' | 'undecided' | 'decided' | 'max-reached' | 'single-trial';
  /** Headline metrics whose trials still help (se > τ/2). */
  undecided: string[];
}

/** Whether more trials of this sample would still narrow its run's interval: se > τ/2 (above). */
export function trialsStillHelp(sample: Sample, runSd = PRIOR_RUN_SD): boolean {
  const v = sample.values;
  if (v.length < 2) return true;
  const m = mean(v);
  if (!(m > 0)) return false; // a mean of 0: at resolution, more trials cannot help
  const rsd = stddev(v) / m;
  const tau = Math.max(runSd, rsd);
  return rsd / Math.sqrt(v.length) > tau / 2;
}

/**
 * Decides after each finished trial whether to run another. `samples` maps each headline
 * metric of the test to its values so far (failed trials left out).
 */
export function decideTrial(samples: Readonly<Record<string, Sample>>, trialsDone: number, plan: TrialPlan): TrialDecision {
  const undecided = Object.entries(samples)
    .filter(([, s]) => trialsStillHelp(s, plan.runSd))
    .map(([metric]) => metric);
  if (trialsDone >= plan.maxTrials) return { addTrial: false, reason: 'max-reached', undecided };
  if (trialsDone < plan.minTrials) return { addTrial: true, reason: 'below-min', undecided };
  // `--trials 1` asks for one quick run: one value has no spread to judge, so none is added.
  if (plan.minTrials === 1) return { addTrial: false, reason: 'single-trial', undecided };
  return undecided.length > 0 ? { addTrial: true, reason: 'undecided', undecided } : { addTrial: false, reason: 'decided', undecided };
}
