// The run is the unit of replication (Kalibera & Jones): trials of one run share its boot, its
// host state and its neighbours, so they are not independent evidence about a system. Each run
// becomes one value — the mean of its trials — carried on the log scale (ratios become
// differences), with what its own trials say about its precision and the printing step's bound.
import { mean, variance } from '../stats/stats.js';
import { inferResolution } from '../stats/resolution.js';

/** One run's values of one metric (successful trials only). */
export interface RunValues {
  runId: string;
  /** The run's first trial (ns). */
  startNs: bigint;
  values: readonly number[];
  /** The step the values were printed at; absent = inferred from the values. */
  step?: number | null;
  /** Where it ran (the `host` tag), to tell paired from unpaired comparisons. */
  host?: string;
  /** Trials the agent judged disturbed (steal or contention above its limit, docs/noise.md). */
  flagged?: number;
}

export interface RunMean {
  runId: string;
  startNs: bigint;
  host?: string;
  /** Trials the agent judged disturbed (0 when none or not judged). */
  flagged: number;
  /** Trials. */
  n: number;
  /** Mean of the trials. */
  mean: number;
  /** log(mean); NaN when the mean is not > 0 (such a run has no ratio: unmeasurable). */
  log: number;
  /** Variance of log(mean) from the run's own trials (delta method: s²/(n·mean²)); 0 with one trial. */
  within: number;
  /** Relative SD of one trial (s / mean); 0 with one trial. */
  trialRsd: number;
  step: number;
  /** Worst-case rounding error of log(mean): printed values are off by ≤ step/2, so is their mean. */
  bound: number;
}

/** The run's mean and precision, or null when it has no values. */
export function runMean(r: RunValues): RunMean | null {
  if (r.values.length === 0) return null;
  for (const v of r.values) if (!Number.isFinite(v)) throw new Error(`run ${r.runId}: value ${v} is not a finite number`);
  const m = mean(r.values);
  const n = r.values.length;
  const step = r.step && r.step > 0 ? r.step : inferResolution(r.values);
  const s2 = n >= 2 ? variance(r.values) : 0;
  const positive = m > 0;
  return {
    runId: r.runId,
    startNs: r.startNs,
    ...(r.host !== undefined ? { host: r.host } : {}),
    flagged: r.flagged ?? 0,
    n,
    mean: m,
    log: positive ? Math.log(m) : NaN,
    within: positive ? s2 / (n * m * m) : 0,
    trialRsd: positive ? Math.sqrt(s2) / m : 0,
    step,
    // log(m / (m − Δ/2)) ≥ log((m + Δ/2) / m): the larger side of the asymmetric bound.
    bound: positive && m > step / 2 ? Math.log(m / (m - step / 2)) : Infinity,
  };
}

/** Most of the run's trials were judged disturbed by its agent: its mean says more about its neighbours than about it. */
export function agentDisturbed(r: RunMean): boolean {
  return r.flagged * 2 > r.n;
}

/** Runs in time order (ties by id, so every caller sees the same order). */
export function byTime<T extends { startNs: bigint; runId: string }>(runs: readonly T[]): T[] {
  return [...runs].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}

/** |a − b| in ns. */
export function distanceNs(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}
