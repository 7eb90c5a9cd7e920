// The run-to-run spread τ of a series (agent × test × profile × threads × metric): how much two
// runs of the same system differ beyond what their own trials say. A side measured by one run
// (a guest run) can only be judged with it: its variance is τ² + s²/n, never s²/n alone.
//
// τ is learned from the series' own runs (after clean.ts left out steps and disturbed runs):
// the variance of their log means minus the part their trials explain (method of moments),
// moderated by a prior worth PRIOR_DF degrees of freedom — the way limma moderates a gene's
// variance (Smyth 2004) — so a new agent starts from the prior and its own runs take over as
// they accrue. The prior is τ₀ = PRIOR_RUN_SD, or the run's own trial scatter when larger: on
// this machine a host whose trials scatter by s (busy: 17–58 %) scattered its runs about as much
// (15–40 %), and on a quiet one trials at 0.7 % came with runs 1–2 % apart (docs/overhead.md).
import { mean, median, variance } from '../stats/stats.js';
import { lag1Autocorrelation } from '../stats/robust.js';
import type { RunMean } from './runs.js';

/** τ₀: the run-to-run SD assumed before a series has runs of its own (log scale; 0.02 = 2 %). */
export const PRIOR_RUN_SD = 0.02;
/** What the prior is worth, in degrees of freedom: one pair of runs. */
export const PRIOR_DF = 1;
/** Autocorrelation above this is treated as this (beyond it a handful of runs cannot tell). */
const MAX_RHO = 0.8;
/** Fewer runs than this say nothing usable about their autocorrelation. */
const MIN_RUNS_FOR_RHO = 5;

export interface RunSpread {
  /** τ²: the between-run variance of log run means (trial noise excluded). */
  tau2: number;
  /** Its degrees of freedom (prior + runs, the runs' share reduced for autocorrelation). */
  df: number;
  /** Runs it was learned from (0: the prior alone). */
  runs: number;
  /** The prior's τ₀ used. */
  prior: number;
  /** The variance of one run's log mean (τ² + w̄: runs and their trials together), moderated the same way. */
  runVar: number;
  /** Lag-one autocorrelation of the runs (0 when fewer than 3, or negative). */
  rho: number;
}

/** τ₀ for runs like these: PRIOR_RUN_SD, or their trials' median relative SD when larger. */
export function priorSd(runs: readonly RunMean[]): number {
  const scatter = runs.filter((r) => r.n >= 2).map((r) => r.trialRsd);
  return Math.max(PRIOR_RUN_SD, scatter.length ? median(scatter) : 0);
}

/**
 * τ² from `runs` (time order, already cleaned) and the prior τ₀ worth PRIOR_DF:
 * (ν₀·τ₀² + ν·max(0, s² − w̄)) / (ν₀ + ν), with s² the variance of the runs' log means, w̄ the
 * mean of their trial variances (what trials alone would spread them by) and
 * ν = (k − 1)·(1 − ρ)/(1 + ρ): autocorrelated runs (ρ > 0) carry less information than their count,
 * and look more alike than the series varies (s² is divided by its expected shrink under AR(1)).
 * `runVar` moderates the whole variance of a run mean, (ν₀·(τ₀² + w̄) + ν·s²)/(ν₀ + ν): with
 * ν₀ = 0 it is s², and a mean of these k runs has the classic t interval on run means.
 */
export function learnSpread(runs: readonly RunMean[], prior: number = priorSd(runs), priorDf = PRIOR_DF): RunSpread {
  const k = runs.length;
  const w = k > 0 ? mean(runs.map((r) => r.within)) : 0;
  if (k < 2) return { tau2: prior * prior, df: priorDf, runs: k, prior, rho: 0, runVar: prior * prior + w };
  const logs = runs.map((r) => r.log);
  const rho = runAutocorrelation(logs);
  const dataDf = ((k - 1) * (1 - rho)) / (1 + rho);
  const s2 = variance(logs) / sampleVarianceShrink(rho, k);
  const moderate = (fromPrior: number, fromRuns: number) => (priorDf * fromPrior + dataDf * fromRuns) / (priorDf + dataDf);
  return { tau2: moderate(prior * prior, Math.max(0, s2 - w)), df: priorDf + dataDf, runs: k, prior, rho, runVar: moderate(prior * prior + w, s2) };
}

/**
 * Lag-one autocorrelation of the runs, corrected for its bias in short series
 * (E ρ̂ ≈ ρ − (1 + 3ρ)/k, Kendall 1954: ρ̃ = (k·ρ̂ + 1)/(k − 3)), within [0, MAX_RHO];
 * 0 with fewer than MIN_RUNS_FOR_RHO runs.
 */
export function runAutocorrelation(logs: readonly number[]): number {
  const k = logs.length;
  if (k < MIN_RUNS_FOR_RHO) return 0;
  return Math.min(MAX_RHO, Math.max(0, (k * lag1Autocorrelation(logs) + 1) / (k - 3)));
}

/** E[s²]/σ² for k values of an AR(1) series: 1 − 2/(k(k−1))·Σ_{j<k} (k − j)·ρ^j (positively correlated runs look alike). */
function sampleVarianceShrink(rho: number, k: number): number {
  let sum = 0;
  for (let j = 1; j < k; j++) sum += (k - j) * rho ** j;
  return Math.max(0.2, 1 - (2 * sum) / (k * (k - 1)));
}
