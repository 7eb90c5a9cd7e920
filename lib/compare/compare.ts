// The one comparison engine: "how does candidate B compare with reference A for one metric",
// ending in a verdict. The run is the unit (runs.ts); each side's value and variance come from
// estimate.ts; this file turns them into an interval and a verdict against the margin. The
// collector's `overhead` and `overhead_chain` points, the report (terminal, JSON, HTML),
// `report --compare`, the lab's A/B and the agent's trial rule all end here.
import { tQuantile, tTwoSidedP } from '../stats/stats.js';
import { overheadPctInterval, overheadPct, type Direction } from './direction.js';
import {
  estimatePaired,
  estimatePool,
  estimateWithHistory,
  isUnmeasurable,
  unpairedRatio,
  type LogRatio,
  type SideEstimate,
  type Unmeasurable,
} from './estimate.js';
import type { ExcludedRun } from './clean.js';
import { agentDisturbed, type RunValues } from './runs.js';

export type Verdict = 'worse' | 'better' | 'equivalent' | 'inconclusive' | 'unmeasurable';
/**
 * Whether the interval settled the question (worse, better, equivalent) or not. A Record, like every
 * table over verdicts, so that a new verdict fails the type-check at each place that must answer for it.
 */
export const DECISIVE: Readonly<Record<Verdict, boolean>> = { worse: true, better: true, equivalent: true, inconclusive: false, unmeasurable: false };
export const VERDICTS = Object.keys(DECISIVE) as Verdict[];

export interface CompareOptions {
  direction: Direction;
  /** Equivalence margin ±m in percent (margin.ts: the default table, or the user's). */
  marginPct: number;
  /** Confidence level of the reported interval (default 0.95; TOST uses 1 − 2α = 0.90). */
  level?: number;
  /** What the two sides are called in reasons (default: 'compared side', 'reference'). */
  names?: { candidate: string; reference: string };
  /** What the prior τ₀ is worth in degrees of freedom (default PRIOR_DF; 0: the runs alone, a t interval on run means). */
  priorDf?: number;
}

/** A run left out, as a comparison shows it (plain data: it goes to JSON as it is). */
export interface ExcludedView {
  runId: string;
  why: ExcludedRun['why'];
  offPct: number;
  side: 'candidate' | 'reference';
}

const view = (e: ExcludedRun, side: ExcludedView['side']): ExcludedView => ({ runId: e.runId, why: e.why, offPct: e.offPct, side });

export interface Comparison {
  verdict: Verdict;
  /** Why, in words, with what limits it (disturbed runs left out, a step, noise above the margin). */
  reason: string;
  marginPct: number;
  level: number;
  /** Trials and runs used on each side. */
  nCandidate: number;
  nReference: number;
  runsCandidate: number;
  runsReference: number;
  /** Each side's value: the run's mean, or the geometric mean of its runs' means. */
  candidateMean: number | null;
  referenceMean: number | null;
  candidateResolution: number | null;
  referenceResolution: number | null;
  /** candidate / reference (null when unmeasurable). */
  ratio: number | null;
  ratioLow: number | null;
  ratioHigh: number | null;
  /** Percent worse (positive = candidate worse), by the metric's direction. */
  overheadPct: number | null;
  overheadLowPct: number | null;
  overheadHighPct: number | null;
  /** Two-sided p of "no difference" from the same estimate (kept for reference; it decides nothing). */
  p: number | null;
  /** Welch–Satterthwaite degrees of freedom of the interval. */
  df: number | null;
  /** Run-to-run SD (τ, percent) of each side, and what the runs alone put on the interval (1.96·√(Σ τ²/k), percent). */
  candidateRunSdPct: number | null;
  referenceRunSdPct: number | null;
  noiseFloorPct: number | null;
  /** Worst-case rounding error added to both ends of the interval (percent). */
  roundingPct: number | null;
  /** Inconclusive only: about how many more runs on each side would decide it (null: cannot say). */
  moreRuns: number | null;
  /** The runs that made each side's value (ids, time order). */
  candidateRunIds: string[];
  referenceRunIds: string[];
  /** Runs left out (disturbed, or across a step), by side. */
  excluded: ExcludedView[];
  /** Decided from back-to-back pairs of runs (per-pair log ratios). */
  paired: boolean;
}

const DEFAULT_NAMES = { candidate: 'compared side', reference: 'reference' };
const Z95 = 1.959963984540054;
const short = (x: number) => Number(x.toPrecision(3));
const pctOf = (logSd: number) => (Math.exp(logSd) - 1) * 100;
const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(1)} %`;

function blank(o: CompareOptions): Comparison {
  return {
    verdict: 'inconclusive',
    reason: '',
    marginPct: o.marginPct,
    level: o.level ?? 0.95,
    nCandidate: 0,
    nReference: 0,
    runsCandidate: 0,
    runsReference: 0,
    candidateMean: null,
    referenceMean: null,
    candidateResolution: null,
    referenceResolution: null,
    ratio: null,
    ratioLow: null,
    ratioHigh: null,
    overheadPct: null,
    overheadLowPct: null,
    overheadHighPct: null,
    p: null,
    df: null,
    candidateRunSdPct: null,
    referenceRunSdPct: null,
    noiseFloorPct: null,
    roundingPct: null,
    moreRuns: null,
    candidateRunIds: [],
    referenceRunIds: [],
    excluded: [],
    paired: false,
  };
}

function checkOptions(o: CompareOptions): void {
  if (!(o.marginPct >= 0) || !Number.isFinite(o.marginPct) || o.marginPct >= 100)
    throw new Error(`compare: marginPct must be a finite number in [0, 100), got ${o.marginPct}`);
}

/** Welch–Satterthwaite degrees of freedom of a sum of variance terms (Infinity without any). */
export function satterthwaite(terms: ReadonlyArray<{ v: number; df: number }>): number {
  const live = terms.filter((t) => t.v > 0);
  const total = live.reduce((a, t) => a + t.v, 0);
  const den = live.reduce((a, t) => a + (t.df > 0 ? (t.v * t.v) / t.df : Infinity), 0);
  return den > 0 ? (total * total) / den : Infinity;
}

interface Decision {
  verdict: Verdict;
  reason: string;
  /** Half width of the interval at the level asked for, on the log scale (statistical part + rounding bound). */
  half: number;
  p: number | null;
  df: number;
  noiseFloorPct: number;
  moreRuns: number | null;
}

/** The verdict on x = log(candidate/reference) against ±m, with `runs` the fewer runs of the two sides. */
export function decide(lr: LogRatio, o: CompareOptions, runs: number): Decision {
  const level = o.level ?? 0.95;
  const m = o.marginPct;
  const variance = lr.terms.reduce((a, t) => a + Math.max(0, t.v), 0);
  const se = Math.sqrt(variance);
  const df = Math.min(1e6, satterthwaite(lr.terms));
  // y: the log of "how many times worse" (positive = candidate worse), whatever the direction.
  const y = o.direction === 'higher' ? -lr.x : lr.x;
  // A variance part with no degrees of freedom: one run, no history and no prior (priorDf 0).
  if (se > 0 && !(df > 0))
    return {
      verdict: 'inconclusive',
      reason: 'nothing is known about how runs differ (one run, no history, no prior): no interval',
      half: Infinity,
      p: null,
      df: 0,
      noiseFloorPct: pctOf(Z95 * Math.sqrt(lr.noise)),
      moreRuns: null,
    };
  const q = (conf: number) => (se > 0 ? tQuantile(1 - (1 - conf) / 2, df) : 0);
  const [q95, q90] = [q(level), q(1 - 2 * (1 - level))];
  const half = (qq: number) => qq * se + lr.bound;
  const [hi, lo] = [Math.log(1 + m / 100), Math.log(1 - m / 100)];
  const noiseFloorPct = pctOf(Z95 * Math.sqrt(lr.noise));
  const out = {
    half: half(q95),
    p: se > 0 ? tTwoSidedP(y / se, df) : null,
    df,
    noiseFloorPct,
  };
  const lvl = `${Math.round(level * 100)} %`;
  const noisy = noiseFloorPct > m;
  const noiseNote = `noise ${short(noiseFloorPct)} % exceeds the margin ${m} %`;
  if (y - half(q95) > hi)
    return {
      ...out,
      verdict: 'worse',
      reason: `the ${lvl} interval lies above +${m} %${noisy ? ` (it includes the run-to-run noise, ${noiseNote})` : ''}`,
      moreRuns: null,
    };
  if (y + half(q95) < lo)
    return {
      ...out,
      verdict: 'better',
      reason: `the ${lvl} interval lies below −${m} %${noisy ? ` (it includes the run-to-run noise, ${noiseNote})` : ''}`,
      moreRuns: null,
    };
  const fits = y - half(q90) > lo && y + half(q90) < hi;
  if (fits && !noisy)
    return {
      ...out,
      verdict: 'equivalent',
      reason: `the ${Math.round((1 - 2 * (1 - level)) * 100)} % interval lies within ±${m} % (two one-sided tests)`,
      moreRuns: null,
    };
  // How many times the runs would shrink the interval enough, if the estimate stayed where it is
  // (every variance part shrinks as 1/runs; df gains ignored, so this errs on the high side).
  const need = (qq: number, room: number) => (room > 0 ? (se === 0 ? 1 : ((qq * se) / room) ** 2) : Infinity);
  const factor =
    y > hi
      ? need(q95, y - hi - lr.bound)
      : y < lo
        ? need(q95, lo - y - lr.bound)
        : Math.max(need(q90, Math.min(hi - y, y - lo) - lr.bound), (Z95 * Z95 * lr.noise) / (hi * hi));
  const moreRuns = Number.isFinite(factor) ? Math.max(1, Math.ceil((factor - 1) * Math.max(1, runs))) : null;
  const reason = noisy
    ? noiseNote
    : moreRuns === null
      ? `the estimate sits on the margin ±${m} % (with the printing step's bound)`
      : `the interval straddles the margin ±${m} %`;
  return { ...out, verdict: 'inconclusive', reason, moreRuns };
}

function unmeasurable(c: Comparison, u: Unmeasurable, side: string): Comparison {
  return { ...c, verdict: 'unmeasurable', reason: u.trials === 0 ? `no trials of this metric on the ${side}` : `${side}: ${u.unmeasurable}` };
}

const when = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 16).replace('T', ' ');

/** What limits the verdict beyond the interval: runs left out, a step, a spread still from the prior. */
function notes(s: SideEstimate, name: string, withHistory: boolean): string[] {
  const out: string[] = [];
  for (const e of s.excluded.filter((x) => x.why === 'flagged'))
    out.push(`${name} run ${e.runId} left out: its agent judged most of its trials disturbed (${signed(e.offPct)} from the others)`);
  for (const e of s.excluded.filter((x) => x.why === 'disturbed'))
    out.push(`${name} run ${e.runId} left out as disturbed (${signed(e.offPct)} from the others)`);
  if (s.flagged.trials > 0 && s.excluded.every((x) => x.why !== 'flagged'))
    out.push(`${s.flagged.trials} of ${s.flagged.of} ${name} trials judged disturbed by their agent`);
  if (s.cut)
    out.push(
      `${name} ${withHistory ? 'history' : 'runs'} changed by ${signed(s.cut.sizePct)} at ${when(s.cut.atNs)}: ${s.excluded.filter((x) => x.why === 'step').length} run(s) across the step left out`,
    );
  if (s.offHistoryPct !== null) out.push(`this ${name} run lies ${signed(s.offHistoryPct)} from its own recent runs`);
  if (s.spread.runs < 3)
    out.push(
      `${name} run-to-run spread ${s.spread.runs === 0 || s.spread.runs === 1 ? 'from the prior alone' : 'mostly from the prior'} (${withHistory ? `${Math.max(0, s.spread.runs - 1)} earlier run(s)` : `${s.runs.length} run(s)`}; τ₀ ${short(s.spread.prior * 100)} %)`,
    );
  return out;
}

function fill(c: Comparison, lr: LogRatio, o: CompareOptions, runs: number, extra: string[]): Comparison {
  const d = decide(lr, o, runs);
  const ratio = Math.exp(lr.x);
  const half = d.half;
  const bounded = Number.isFinite(half);
  const [low, high] = bounded ? overheadPctInterval(Math.exp(lr.x - half), Math.exp(lr.x + half), o.direction) : [null, null];
  return {
    ...c,
    verdict: d.verdict,
    reason: [d.reason, ...extra].join('; '),
    ratio,
    ratioLow: bounded ? Math.exp(lr.x - half) : null,
    ratioHigh: bounded ? Math.exp(lr.x + half) : null,
    overheadPct: overheadPct(ratio, o.direction),
    overheadLowPct: low,
    overheadHighPct: high,
    p: d.p,
    df: Number.isFinite(d.df) && d.df < 1e6 ? d.df : null,
    noiseFloorPct: d.noiseFloorPct,
    roundingPct: (Math.exp(lr.bound) - 1) * 100,
    moreRuns: d.moreRuns,
  };
}

export interface SideRuns {
  /** The runs that make this side's value. */
  runs: readonly RunValues[];
  /**
   * Earlier runs of the same series (a guest's history): when given, every run in `runs` is used
   * and τ is learned from the history; when absent, `runs` is a pool (cleaned, τ from itself).
   */
  history?: readonly RunValues[];
}

/**
 * Candidate against reference, two independent sides (a guest run against the baseline's runs
 * in the window; variant B's runs against variant A's). `nearNs` is the comparison's moment:
 * a step in a pool keeps the segment holding the run nearest to it.
 */
export function compareRuns(candidate: SideRuns, reference: SideRuns, nearNs: bigint, o: CompareOptions): Comparison {
  checkOptions(o);
  const names = o.names ?? DEFAULT_NAMES;
  // The reference first: a candidate judged by its history borrows the reference's spread as its prior (estimateWithHistory).
  const pool = (s: SideRuns) => estimatePool(s.runs, nearNs, o.priorDf);
  const r = reference.history ? estimateWithHistory(reference.runs, reference.history, o.priorDf) : pool(reference);
  const borrowed = isUnmeasurable(r) ? 0 : Math.sqrt(r.spread.tau2);
  const c = candidate.history ? estimateWithHistory(candidate.runs, candidate.history, o.priorDf, borrowed) : pool(candidate);
  let out = blank(o);
  const runsOf = (s: SideEstimate | Unmeasurable) => (isUnmeasurable(s) ? 0 : s.runs.length);
  out = { ...out, nCandidate: c.trials, candidateMean: c.value, candidateResolution: c.step, runsCandidate: runsOf(c) };
  out = { ...out, nReference: r.trials, referenceMean: r.value, referenceResolution: r.step, runsReference: runsOf(r) };
  if (isUnmeasurable(r)) return unmeasurable(out, r, names.reference);
  if (isUnmeasurable(c)) return unmeasurable(out, c, names.candidate);
  out.candidateRunIds = c.runs.map((x) => x.runId);
  out.referenceRunIds = r.runs.map((x) => x.runId);
  out.candidateRunSdPct = Math.sqrt(c.spread.tau2) * 100;
  out.referenceRunSdPct = Math.sqrt(r.spread.tau2) * 100;
  out.excluded = [...c.excluded.map((e) => view(e, 'candidate')), ...r.excluded.map((e) => view(e, 'reference'))];
  const extra = [...notes(r, names.reference, !!reference.history), ...notes(c, names.candidate, !!candidate.history)];
  const filled = fill(out, unpairedRatio(c, r), o, Math.min(c.runs.length, r.runs.length), extra);
  // A judged run whose trials were mostly disturbed (30 % steal) measured its neighbours, not itself.
  if (candidate.history && c.runs.some(agentDisturbed) && filled.verdict !== 'inconclusive')
    return {
      ...filled,
      verdict: 'inconclusive',
      reason: `its agent judged ${c.flagged.trials} of ${c.flagged.of} trials of this ${names.candidate} run disturbed (steal or contention): the run measured its neighbours, not the ${names.candidate} (the interval alone said ${filled.verdict}); ${filled.reason}`,
      moreRuns: null,
    };
  return filled;
}

/**
 * B against A from pairs of runs measured back to back on one host (lab ABBA, `--compare` on a
 * shared host): the per-pair log ratios carry the comparison; what a pair shares cancels.
 */
export function comparePairs(pairs: ReadonlyArray<{ a: RunValues; b: RunValues }>, o: CompareOptions): Comparison {
  checkOptions(o);
  const names = o.names ?? DEFAULT_NAMES;
  const out = { ...blank(o), paired: true };
  if (pairs.length === 0) return { ...out, verdict: 'unmeasurable', reason: 'no pairs of runs to compare' };
  const e = estimatePaired(pairs, o.priorDf);
  if (isUnmeasurable(e)) return unmeasurable(out, e, 'pairs');
  const filled: Comparison = {
    ...out,
    nCandidate: e.b.trials,
    nReference: e.a.trials,
    runsCandidate: e.pairs.length,
    runsReference: e.pairs.length,
    candidateMean: e.b.value,
    referenceMean: e.a.value,
    candidateResolution: e.b.step,
    referenceResolution: e.a.step,
    // Per side, the pair spread split evenly: τ_d² = τ_a² + τ_b².
    candidateRunSdPct: Math.sqrt(e.spread.tau2 / 2) * 100,
    referenceRunSdPct: Math.sqrt(e.spread.tau2 / 2) * 100,
    excluded: e.excluded.map((x) => view(x, 'candidate')),
    candidateRunIds: e.pairs.map((p) => p.b.runId),
    referenceRunIds: e.pairs.map((p) => p.a.runId),
  };
  const extra = [
    `paired: ${e.pairs.length} back-to-back pair(s) of ${names.reference} and ${names.candidate} runs`,
    ...e.excluded.map((x) =>
      x.why === 'flagged'
        ? `pair ${x.runId} left out: its agent judged a run disturbed`
        : `pair ${x.runId} left out as disturbed (${signed(x.offPct)} from the others)`,
    ),
    ...(e.spread.runs < 3 ? [`pair spread ${e.spread.runs < 2 ? 'from the prior alone' : 'mostly from the prior'} (τ₀ ${short(e.spread.prior * 100)} %)`] : []),
  ];
  return fill(filled, e.ratio, o, e.pairs.length, extra);
}
