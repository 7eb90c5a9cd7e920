// The one comparison engine: "how does candidate B compare with reference A for one metric",
// ending in a verdict. The collector's `overhead` points, the report, `report --compare`, the
// HTML report and the agent's trial rule all call compareSamples, so one question gets one answer.
import { mean, ratioCi, tQuantile, variance, welchTTest } from '../stats/stats.js';
import { inferResolution } from '../stats/resolution.js';
import { overheadPct, overheadPctInterval, type Direction } from './direction.js';

export type Verdict = 'worse' | 'better' | 'equivalent' | 'inconclusive' | 'unmeasurable';
export const VERDICTS: readonly Verdict[] = ['worse', 'better', 'equivalent', 'inconclusive', 'unmeasurable'];

/** A mean closer to 0 than this many printing steps is "measured at resolution". */
export const RESOLUTION_STEPS = 10;

export interface Sample {
  /** One value per successful trial. */
  values: readonly number[];
  /** The step the values were printed at (0.01 for "0.02"); absent = inferred from the values. */
  resolution?: number | null;
}

export interface CompareOptions {
  direction: Direction;
  /** Equivalence margin ±m in percent (see margin.ts for the default). */
  marginPct: number;
  /** Confidence level of the reported interval (default 0.95; TOST uses 1 − 2α = 0.90). */
  level?: number;
}

export interface Comparison {
  verdict: Verdict;
  /** Why, in words (shown next to inconclusive and unmeasurable verdicts). */
  reason: string;
  marginPct: number;
  level: number;
  nCandidate: number;
  nReference: number;
  candidateMean: number | null;
  referenceMean: number | null;
  candidateResolution: number | null;
  referenceResolution: number | null;
  /** candidate mean / reference mean (null when a mean is not > 0). */
  ratio: number | null;
  ratioLow: number | null;
  ratioHigh: number | null;
  /** Percent worse (positive = candidate worse), by the metric's direction. */
  overheadPct: number | null;
  overheadLowPct: number | null;
  overheadHighPct: number | null;
  /** Welch's two-sided p on the values as stored; null without spread (never from zero-variance samples). */
  p: number | null;
  /** Inconclusive only: about how many more trials per side would decide it (null: cannot say). */
  moreTrials: number | null;
}

function empty(c: Sample, r: Sample, o: CompareOptions, verdict: Verdict, reason: string): Comparison {
  return {
    verdict,
    reason,
    marginPct: o.marginPct,
    level: o.level ?? 0.95,
    nCandidate: c.values.length,
    nReference: r.values.length,
    candidateMean: c.values.length ? mean(c.values) : null,
    referenceMean: r.values.length ? mean(r.values) : null,
    candidateResolution: null,
    referenceResolution: null,
    ratio: null,
    ratioLow: null,
    ratioHigh: null,
    overheadPct: null,
    overheadLowPct: null,
    overheadHighPct: null,
    p: null,
    moreTrials: null,
  };
}

/**
 * Compares `candidate` with `reference` (e.g. guest with native, variant B with variant A).
 * - unmeasurable: a side without values, a mean ≤ 0, or a mean within RESOLUTION_STEPS printing steps of 0;
 * - inconclusive: a side with one trial, or an interval that neither clears nor fits in ±m;
 * - worse / better: the 95 % interval of the overhead lies wholly above +m / below −m;
 * - equivalent: the 90 % interval lies within ±m (two one-sided tests at 5 %).
 * Intervals: delta method on log(ratio) with Welch–Satterthwaite df; each side's variance
 * includes the rounding variance Δ²/12 of its printing step Δ.
 */
export function compareSamples(candidate: Sample, reference: Sample, o: CompareOptions): Comparison {
  if (!(o.marginPct >= 0) || !Number.isFinite(o.marginPct)) throw new Error(`compare: marginPct must be a finite number ≥ 0, got ${o.marginPct}`);
  const level = o.level ?? 0.95;
  for (const v of [...candidate.values, ...reference.values]) if (!Number.isFinite(v)) throw new Error(`compare: value ${v} is not a finite number`);
  if (reference.values.length === 0) return empty(candidate, reference, o, 'unmeasurable', 'no reference (baseline) trials of this metric');
  if (candidate.values.length === 0) return empty(candidate, reference, o, 'unmeasurable', 'no trials of this metric on the compared side');
  const out = empty(candidate, reference, o, 'inconclusive', '');
  const mc = out.candidateMean!;
  const mr = out.referenceMean!;
  const stepC = candidate.resolution ?? inferResolution(candidate.values);
  const stepR = reference.resolution ?? inferResolution(reference.values);
  out.candidateResolution = stepC;
  out.referenceResolution = stepR;
  if (!(mc > 0) || !(mr > 0))
    return {
      ...out,
      verdict: 'unmeasurable',
      reason: `a mean is 0 at resolution ${stepC === stepR ? stepC : `${stepR} / ${stepC}`}: a ratio against 0 says nothing`,
    };
  out.ratio = mc / mr;
  out.overheadPct = overheadPct(out.ratio, o.direction);
  const near = [
    mr < RESOLUTION_STEPS * stepR ? `reference mean ${short(mr)} is within ${RESOLUTION_STEPS} steps of ${stepR}` : '',
    mc < RESOLUTION_STEPS * stepC ? `compared mean ${short(mc)} is within ${RESOLUTION_STEPS} steps of ${stepC}` : '',
  ].filter(Boolean);
  if (near.length > 0) return { ...out, verdict: 'unmeasurable', reason: `measured at resolution: ${near.join('; ')}` };
  const single = [reference.values.length < 2 ? 'reference' : '', candidate.values.length < 2 ? 'compared side' : ''].filter(Boolean);
  if (single.length > 0) return { ...out, reason: `one trial on the ${single.join(' and ')}: no spread to build an interval from`, moreTrials: 1 };

  const r = ratioCi(candidate.values, reference.values, level, { a: stepC, b: stepR });
  const interval = (conf: number): [number, number] => {
    if (r.se === 0) return overheadPctInterval(r.ratio, r.ratio, o.direction);
    const q = tQuantile(1 - (1 - conf) / 2, r.df);
    return overheadPctInterval(r.ratio * Math.exp(-q * r.se), r.ratio * Math.exp(q * r.se), o.direction);
  };
  out.ratioLow = r.low;
  out.ratioHigh = r.high;
  [out.overheadLowPct, out.overheadHighPct] = interval(level);
  // TOST at α = 1 − level: both one-sided tests reject iff the (1 − 2α) interval lies inside ±m.
  const [eqLow, eqHigh] = interval(1 - 2 * (1 - level));
  out.p = welchP(candidate.values, reference.values);

  const m = o.marginPct;
  const est = out.overheadPct;
  const lo = out.overheadLowPct;
  const hi = out.overheadHighPct;
  if (lo > m) return { ...out, verdict: 'worse', reason: `the ${pct(level)} interval lies above +${m}%` };
  if (hi < -m) return { ...out, verdict: 'better', reason: `the ${pct(level)} interval lies below −${m}%` };
  if (eqLow > -m && eqHigh < m)
    return { ...out, verdict: 'equivalent', reason: `the ${pct(1 - 2 * (1 - level))} interval lies within ±${m}% (two one-sided tests)` };
  // How much narrower the interval must get to decide, if the estimate stayed where it is;
  // width shrinks as 1/√n (df gains ignored, so the estimate errs on the high side).
  const k =
    est > m
      ? ((est - lo) / (est - m)) ** 2
      : est < -m
        ? ((hi - est) / (-m - est)) ** 2
        : Math.max(((est - eqLow) / (est + m)) ** 2, ((eqHigh - est) / (m - est)) ** 2);
  const n = Math.max(candidate.values.length, reference.values.length);
  const more = Number.isFinite(k) ? Math.max(1, Math.ceil((k - 1) * n)) : null;
  return {
    ...out,
    verdict: 'inconclusive',
    reason: more === null ? `the estimate sits on the margin ±${m}%` : `the interval straddles the margin ±${m}%`,
    moreTrials: more,
  };
}

/** A mean in a reason: 4 significant digits (0.07500000000000001 → 0.075). */
function short(x: number): number {
  return Number(x.toPrecision(4));
}

function pct(level: number): string {
  return `${Math.round(level * 100)} %`;
}

/** Welch's p on the stored values, or null when both sides are constant (no p from zero variance). */
function welchP(a: readonly number[], b: readonly number[]): number | null {
  if (variance(a) <= 1e-24 * mean(a) ** 2 && variance(b) <= 1e-24 * mean(b) ** 2) return null;
  return welchTTest(a, b).p;
}
