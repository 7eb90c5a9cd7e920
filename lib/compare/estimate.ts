// From runs to what the verdict needs: each side's value on the log scale, the variance of that
// value split into its parts (run-to-run spread, trial noise), their degrees of freedom, and the
// printing step's worst-case bound. Three shapes, one result (LogRatio):
// - a side of several runs (the baseline's runs in the window, a variant's runs): cleaned
//   (clean.ts), their mean, its variance (τ² + w̄)/k with τ learned from those runs (spread.ts);
// - a side of one run with a history (a guest run): the run's mean, variance τ² + s²/n with τ
//   learned from the guest's own earlier runs of the series;
// - pairs of runs measured back to back on one host (A and B interleaved): the mean of the
//   per-pair log ratios, with the spread of those ratios — what the pair shares cancels.
import { cleanRuns, type ExcludedRun } from './clean.js';
import { learnSpread, priorSd, PRIOR_DF, type RunSpread } from './spread.js';
import { agentDisturbed, byTime, runMean, type RunMean, type RunValues } from './runs.js';
import { mean } from '../stats/stats.js';

/** At most this many degrees of freedom of a spread borrowed from the other side join the prior. */
export const BORROWED_DF = 4;

/** A side whose value is closer to 0 than this many printing steps is "measured at resolution". */
export const RESOLUTION_STEPS = 10;

export interface SideEstimate {
  /** Mean of the used runs' log means; `value` = e^log (the geometric mean of the run means). */
  log: number;
  value: number;
  /** The runs that make the value. */
  runs: RunMean[];
  trials: number;
  spread: RunSpread;
  /** Var(log) in parts with their degrees of freedom, and the run-to-run part of it (for the noise floor). */
  terms: VarianceTerm[];
  noise: number;
  /** Worst-case rounding error of `log` (mean of the runs' bounds: a shared error does not average out). */
  bound: number;
  step: number;
  /** Runs of the side or its history left out, and why. */
  excluded: ExcludedRun[];
  /** A step that cut the side's runs or history. */
  cut: { atNs: bigint; sizePct: number } | null;
  /** The judged run lies this far (percent) from its own history, which the history rules call disturbed. */
  offHistoryPct: number | null;
  /** Trials of the used runs the agents judged disturbed, of how many. */
  flagged: { trials: number; of: number };
}

export interface Unmeasurable {
  unmeasurable: string;
  /** The step involved, for the reason (null when there are no values). */
  step: number | null;
  trials: number;
  value: number | null;
}

/** One part of a variance with its degrees of freedom (for Welch–Satterthwaite). */
export interface VarianceTerm {
  v: number;
  df: number;
}

/** What the verdict works on: x = log(candidate / reference) and what x is known to. */
export interface LogRatio {
  x: number;
  terms: VarianceTerm[];
  /** The run-to-run part of Var(x): what no number of trials removes (the noise floor). */
  noise: number;
  /** Worst-case rounding error of x, added to both ends of every interval. */
  bound: number;
}

const short = (x: number) => Number(x.toPrecision(4));

/** The runs' means, or why they cannot make a value (no values, a mean ≤ 0, a value at resolution). */
function judgedMeans(runs: readonly RunValues[]): RunMean[] | Unmeasurable {
  const means = runs.map(runMean).filter((r): r is RunMean => r !== null);
  const trials = means.reduce((a, r) => a + r.n, 0);
  if (means.length === 0) return { unmeasurable: 'no trials of this metric', step: null, trials: 0, value: null };
  const step = Math.max(...means.map((r) => r.step));
  const zero = means.find((r) => !(r.mean > 0));
  if (zero) return { unmeasurable: `a mean is ${short(zero.mean)} at resolution ${zero.step}: a ratio against 0 says nothing`, step, trials, value: zero.mean };
  const value = Math.exp(mean(means.map((r) => r.log)));
  if (value < RESOLUTION_STEPS * step)
    return { unmeasurable: `measured at resolution: mean ${short(value)} is within ${RESOLUTION_STEPS} steps of ${step}`, step, trials, value };
  return means;
}

/** Variance inflation of a mean of k runs with lag-one autocorrelation ρ: (1 + ρ)/(1 − ρ) (1 for one run). */
function autocorrelationFactor(spread: RunSpread, k: number): number {
  return k >= 2 ? (1 + spread.rho) / (1 - spread.rho) : 1;
}

/** A pool's variance: its runs are the replicates, so Var(mean) = runVar/k with the spread's df. */
function poolTerms(spread: RunSpread, k: number): { terms: VarianceTerm[]; noise: number } {
  const g = autocorrelationFactor(spread, k);
  return { terms: [{ v: (g * spread.runVar) / k, df: spread.df }], noise: (g * spread.tau2) / k };
}

/** Judged runs with τ from elsewhere (a history): Var(mean) = τ²/k (τ's df) + w̄/k (the runs' own trials' df). */
function historyTerms(spread: RunSpread, used: readonly RunMean[]): { terms: VarianceTerm[]; noise: number } {
  const k = used.length;
  return {
    terms: [
      { v: spread.tau2 / k, df: spread.df },
      { v: mean(used.map((r) => r.within)) / k, df: used.reduce((a, r) => a + r.n - 1, 0) },
    ],
    noise: spread.tau2 / k,
  };
}

function side(
  used: RunMean[],
  spread: RunSpread,
  variance: { terms: VarianceTerm[]; noise: number },
  cleaned: { excluded: ExcludedRun[]; cut: SideEstimate['cut'] },
  offHistoryPct: number | null,
): SideEstimate {
  const log = mean(used.map((r) => r.log));
  return {
    log,
    value: Math.exp(log),
    runs: used,
    trials: used.reduce((a, r) => a + r.n, 0),
    spread,
    ...variance,
    bound: mean(used.map((r) => r.bound)),
    step: Math.max(...used.map((r) => r.step)),
    excluded: cleaned.excluded,
    cut: cleaned.cut,
    offHistoryPct,
    flagged: { trials: used.reduce((a, r) => a + r.flagged, 0), of: used.reduce((a, r) => a + r.n, 0) },
  };
}

/**
 * A side measured by several runs (no history given): its runs in time order are cleaned around
 * `nearNs` (the comparison's moment) and τ is learned from the runs kept.
 */
export function estimatePool(runs: readonly RunValues[], nearNs: bigint, priorDf = PRIOR_DF): SideEstimate | Unmeasurable {
  const all = judgedMeans(runs);
  if (!Array.isArray(all)) return all;
  // Runs whose agent judged most trials disturbed are left out first — unless every run was.
  const calm = all.filter((r) => !agentDisturbed(r));
  const means = calm.length > 0 ? calm : all;
  const flagged = all.filter((r) => !means.includes(r)).map((r) => ({ runId: r.runId, startNs: r.startNs, why: 'flagged' as const, offPct: 0 }));
  const prior = priorSd(means);
  const c = cleanRuns(byTime(means), nearNs, Math.sqrt(prior * prior + mean(means.map((r) => r.within))), PRIOR_DF);
  const spread = learnSpread(c.forSpread, prior, priorDf);
  const ref = mean(c.kept.map((r) => r.log));
  const named = flagged.map((e) => ({ ...e, offPct: (Math.exp(all.find((r) => r.runId === e.runId)!.log - ref) - 1) * 100 }));
  return side(c.kept, spread, poolTerms(spread, c.kept.length), { excluded: [...named, ...c.excluded], cut: c.step }, null);
}

/**
 * A side judged by its own run(s) — a guest run — whose τ comes from its history: the earlier
 * runs of the same series (any run in both lists counts once). The judged runs are always used;
 * when the history rules call one of them disturbed, that is reported and τ is learned without it.
 * `borrowedSd`: a run-to-run SD learned elsewhere on the same host (the baseline's), which raises
 * the prior: a new guest on a host whose baseline runs scatter by 15 % is not assumed steadier.
 */
export function estimateWithHistory(
  runs: readonly RunValues[],
  history: readonly RunValues[],
  priorDf = PRIOR_DF,
  borrowedSd = 0,
): SideEstimate | Unmeasurable {
  const judged = judgedMeans(runs);
  if (!Array.isArray(judged)) return judged;
  const ids = new Set(judged.map((r) => r.runId));
  const earlier = history
    .filter((r) => !ids.has(r.runId))
    .map(runMean)
    .filter((r): r is RunMean => r !== null && r.mean > 0 && !agentDisturbed(r));
  const series = byTime([...earlier, ...judged]);
  // A spread learned on the same host (the baseline's) raises the prior, never lowers it: a guest
  // is at least as noisy as the host it runs on, and may be noisier (measured: lending a smaller
  // spread to a new guest 10× noisier than its baseline gave 64 % coverage and 20 % false `equivalent`).
  const prior = Math.max(priorSd(judged), borrowedSd);
  const latest = judged.reduce((a, r) => (r.startNs > a ? r.startNs : a), judged[0]!.startNs);
  const c = cleanRuns(series, latest, Math.sqrt(prior * prior + mean(series.map((r) => r.within))), PRIOR_DF);
  const flagged = c.excluded.filter((e) => ids.has(e.runId) && e.why === 'disturbed');
  const excluded = c.excluded.filter((e) => !ids.has(e.runId));
  const learnFrom = c.forSpread;
  const off = flagged.length ? flagged.reduce((a, f) => (Math.abs(f.offPct) > Math.abs(a) ? f.offPct : a), 0) : null;
  const spread = learnSpread(learnFrom, prior, priorDf);
  return side(judged, spread, historyTerms(spread, judged), { excluded, cut: c.step }, off);
}

/** x = log(candidate / reference) of two independent sides. */
export function unpairedRatio(candidate: SideEstimate, reference: SideEstimate): LogRatio {
  return {
    x: candidate.log - reference.log,
    terms: [...candidate.terms, ...reference.terms],
    noise: candidate.noise + reference.noise,
    bound: candidate.bound + reference.bound,
  };
}

export interface PairedEstimate {
  ratio: LogRatio;
  /** The pairs used (runs of A and B) and those left out as disturbed. */
  pairs: Array<{ a: RunMean; b: RunMean }>;
  excluded: ExcludedRun[];
  spread: RunSpread;
  a: { value: number; trials: number; step: number };
  b: { value: number; trials: number; step: number };
}

/**
 * Pairs (a_i, b_i) of runs measured back to back on one host: d_i = log b_i − log a_i; the
 * estimate is their mean, with variance (τ_d² + w̄_d)/k where τ_d is learned from the d_i
 * (prior √2·τ₀: the difference of two runs). Whatever the two runs of a pair share (the host's
 * state that hour) cancels in d_i.
 */
export function estimatePaired(pairs: ReadonlyArray<{ a: RunValues; b: RunValues }>, priorDf = PRIOR_DF): PairedEstimate | Unmeasurable {
  const as = judgedMeans(pairs.map((p) => p.a));
  if (!Array.isArray(as)) return as;
  const bs = judgedMeans(pairs.map((p) => p.b));
  if (!Array.isArray(bs)) return bs;
  if (as.length !== pairs.length || bs.length !== pairs.length)
    return { unmeasurable: 'a run of a pair has no trials of this metric', step: null, trials: 0, value: null };
  const diffs: RunMean[] = pairs.map((_, i) => {
    const [a, b] = [as[i]!, bs[i]!];
    return {
      runId: `${a.runId}/${b.runId}`,
      startNs: a.startNs < b.startNs ? a.startNs : b.startNs,
      n: Math.min(a.n, b.n),
      // A pair with a run its agent judged disturbed is a disturbed pair.
      flagged: agentDisturbed(a) || agentDisturbed(b) ? Math.min(a.n, b.n) : 0,
      mean: Math.exp(b.log - a.log),
      log: b.log - a.log,
      within: a.within + b.within,
      trialRsd: Math.hypot(a.trialRsd, b.trialRsd),
      step: Math.max(a.step, b.step),
      bound: a.bound + b.bound,
    };
  });
  const prior = Math.hypot(priorSd(as), priorSd(bs));
  const calm = diffs.filter((d) => !agentDisturbed(d));
  const usable = calm.length > 0 ? calm : diffs;
  const flagged = diffs.filter((d) => !usable.includes(d)).map((d) => ({ runId: d.runId, startNs: d.startNs, why: 'flagged' as const, offPct: 0 }));
  const latest = usable.reduce((m, d) => (d.startNs > m ? d.startNs : m), usable[0]!.startNs);
  const c = cleanRuns(byTime(usable), latest, Math.sqrt(prior * prior + mean(usable.map((d) => d.within))), PRIOR_DF);
  const spread = learnSpread(c.forSpread, prior, priorDf);
  const keptIds = new Set(c.kept.map((d) => d.runId));
  const used = pairs.map((_, i) => ({ a: as[i]!, b: bs[i]! })).filter((p) => keptIds.has(`${p.a.runId}/${p.b.runId}`));
  const sideOf = (rs: RunMean[]) => ({
    value: Math.exp(mean(rs.map((r) => r.log))),
    trials: rs.reduce((a, r) => a + r.n, 0),
    step: Math.max(...rs.map((r) => r.step)),
  });
  return {
    ratio: { x: mean(c.kept.map((d) => d.log)), ...poolTerms(spread, c.kept.length), bound: mean(c.kept.map((d) => d.bound)) },
    pairs: used,
    excluded: [...flagged, ...c.excluded],
    spread,
    a: sideOf(used.map((p) => p.a)),
    b: sideOf(used.map((p) => p.b)),
  };
}

export function isUnmeasurable(x: object): x is Unmeasurable {
  return 'unmeasurable' in x;
}
