// Change points of one overhead series (one guest × test × profile × threads × metric ×
// baseline agent), as the points to write to `overhead_change`. Pure: the driver reads the
// series from InfluxDB and writes what this returns.
import {
  changePoints,
  findDrifts,
  isolatedOutliers,
  noiseAutocorrelation,
  type ChangePoint,
  type ChangePointOptions,
  type Drift,
} from '../../lib/changepoint/index.js';
import { mean, welchTTest } from '../../lib/stats/stats.js';
import { adjacentCovarianceFactor, meanVarianceFactor } from '../../lib/changepoint/index.js';
import { changedFacts, describeFacts, type Facts } from '../facts/changed.js';

/** One guest run's overhead point for the metric, in time order. */
export interface OverheadRun {
  timeNs: bigint;
  runId: string;
  baselineRunId: string;
  overheadPct: number;
  baselineValue: number;
  /** The point's tags (identity, test, profile, metric, baseline_agent). */
  tags: Readonly<Record<string, string>>;
  /** What is known about the run: tag facts (variant, sysbench_version, …) and agent_info facts. */
  facts: Facts;
}

export interface ChangeDetectionOptions extends Omit<ChangePointOptions, 'minAbsChange' | 'minMagnitude' | 'maxPValue' | 'autocorrelation'> {
  /**
   * Significance level for a window as a whole: each split is tested at this level divided by
   * the number of candidate splits E-divisive chose it from (Bonferroni).
   */
  familyPValue?: number;
  /** Smallest change of the guest kept, in percent of its time ratio to the baseline. */
  minChangePct?: number;
  /** A change of the baseline's own series this many runs or fewer away makes it a baseline change. */
  baselineSpan?: number;
  /** Isolated outlier runs are left out above this many robust SDs (0: keep every run). */
  outlierThreshold?: number;
  /**
   * Test under the series' own lag-1 autocorrelation (lib/changepoint/autocorr.ts): neighbouring
   * runs share host state, so they carry less news than independent ones. false: Otava's test.
   */
  autocorrelated?: boolean;
  /**
   * Same-direction changes that a ramp lasting more than this many runs explains better than
   * steps are one drift (lib/changepoint/drift.ts). 0: every change is a step.
   */
  driftMinRuns?: number;
}

/**
 * The collector's defaults (docs/BENCHMARKS.md "Change points" measured why each is needed):
 * - p 0.001 for a window as a whole: Otava's 0.001 is the level of ONE split, but E-divisive
 *   picks the best of the window's candidate splits (49 in a full window), so the nominal p of
 *   the winner is far too optimistic on heavy-tailed noise; each split is tested at 0.001
 *   divided by the number of candidates (Bonferroni). Window 50 as Otava;
 * - 3 runs a side, and isolated outlier runs (> 5 robust SDs from their neighbours) left out:
 *   one disturbed run is not a persistent shift;
 * - a change of at least 1 % of the guest's time ratio: smaller ones are below what a quiet
 *   host's runs can show; the floor used to be the comparison margin (3 %), which hid every 2 %
 *   step (issue 22 asks for them: "it moved" is not "it matters", the report shows the margin);
 * - the t-test looks at the nearest 50 runs a side (the window): a fresh shift is judged
 *   against the last ~12 days, not against a year of drift and leftover outliers;
 * - the t-test under the series' own lag-1 autocorrelation (issue 22): on AR(1) noise with φ 0.7
 *   Otava's test reports ~14 false changes a series-year;
 * - changes 8 runs (2 days of 6-hourly runs) apart or closer are one event: a bump that went
 *   back is a transient, not a change; a shift in two steps is one change;
 * - same-direction changes a ramp of more than 8 runs explains better are one drift (issue 22):
 *   a slow drift is not a staircase.
 */
export const DEFAULT_CHANGE_OPTIONS: Required<ChangeDetectionOptions> = {
  familyPValue: 0.001,
  windowLen: 50,
  minSegment: 3,
  minChangePct: 1,
  maxSegment: 50,
  mergeWithin: 8,
  baselineSpan: 2,
  outlierThreshold: 5,
  autocorrelated: true,
  driftMinRuns: 8,
};

/** The level each split is tested at for a series of n runs (Bonferroni over the candidates). */
export function splitPValue(familyPValue: number, windowLen: number, n: number): number {
  return familyPValue / Math.max(1, Math.min(windowLen, n) - 1);
}

export interface ChangeRecord {
  timeNs: bigint;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
}

export type SeriesVerdict = { status: 'too-short'; runs: number; needed: number } | { status: 'analysed'; runs: number; changes: ChangeRecord[] };

/**
 * Whether the baseline's own changes explain a change of the overhead between runs `from` and
 * `to` (one run for a step, the ramp for a drift): those within `span` runs of it moved the
 * baseline by at least half as much (on the log scale) as the guest's time ratio moved. A
 * baseline that drifted 3 % on a loaded host does not explain a guest 5× slower.
 */
function explainedByBaseline(from: number, to: number, logRatioChange: number, baseline: readonly ChangePoint[], span: number): boolean {
  const moved = baseline
    .filter((b) => b.index >= from - span && b.index <= to + span)
    .reduce((a, b) => a + Math.log(b.stats.meanAfter / b.stats.meanBefore), 0);
  return Math.abs(moved) > 0 && Math.abs(moved) >= Math.abs(logRatioChange) / 2;
}

const signed = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(1);

/** One line for annotations and alerts: what moved, by how much (a step, or a drift over how many runs), and what changed with it. */
function summarize(kind: string, cause: string, tags: Readonly<Record<string, string>>, f: ChangeRecord['fields']): string {
  const who = `${tags.agent ?? '?'} ${tags.test ?? '?'} ${tags.metric ?? '?'}`;
  const drift = f.shape === 'drift';
  const what = drift
    ? `drift (${kind}) of ${who}: overhead ${signed(f.before_pct as number)} % → ${signed(f.after_pct as number)} % over ${f.drift_runs as number} runs${f.end_run_id === undefined ? ', still drifting' : ''}`
    : `${kind} of ${who}: overhead ${signed(f.before_pct as number)} % → ${signed(f.after_pct as number)} %`;
  const how = ` (${signed(f.change_pct as number)} points, p=${(f.p_value as number).toExponential(1)})`;
  const why = cause === 'baseline' ? `; the baseline ${tags.baseline_agent ?? ''} changed at the same time` : '';
  return what + how + why + (f.facts_detail ? `; ${f.facts_detail}` : '');
}

/** What a change record is built from: the runs, which of them the analysis kept, and its results. */
interface RecordContext {
  runs: readonly OverheadRun[];
  /** Index into `runs` of each kept run (the analysis's index space). */
  keptAt: readonly number[];
  /** Runs left out (outliers, impossible values), by index into `runs`. */
  dropped: ReadonlySet<number>;
  /** The kept runs' overhead, %. */
  overhead: readonly number[];
  baselineCps: readonly ChangePoint[];
  span: number;
  rho: number;
}

const logOf = (o: number) => Math.log1p(o / 100);

/** Facts that changed between the runs [prevAt, at) and [at, nextAt) (indexes into runs). */
function factsAcross(ctx: RecordContext, prevAt: number, at: number, nextAt: number): Pick<ChangeRecord['fields'], 'facts_changed' | 'facts_detail'> {
  const facts = changedFacts(
    ctx.runs.slice(prevAt, at).map((r) => r.facts),
    ctx.runs.slice(at, nextAt).map((r) => r.facts),
  );
  return { facts_changed: facts.map((f) => f.name).join(','), facts_detail: describeFacts(facts) };
}

/** Ids of the runs left out between kept indexes lo and hi (hi exclusive; from the first run when lo is 0; past the end: to the last run). */
function outliersBetween(ctx: RecordContext, lo: number, hi: number): string {
  const left = lo === 0 ? 0 : ctx.keptAt[lo]!;
  const right = hi < ctx.keptAt.length ? ctx.keptAt[hi]! : ctx.runs.length;
  return ctx.runs
    .slice(left, right)
    .filter((_, j) => ctx.dropped.has(left + j))
    .map((r) => r.runId)
    .join(',');
}

/** One step: the change point k of `cps`, its segments as the t-test compared them. */
function stepRecord(ctx: RecordContext, cps: readonly ChangePoint[], k: number): ChangeRecord {
  const { runs, keptAt, overhead } = ctx;
  const cp = cps[k]!;
  let at = keptAt[cp.index]!;
  // A dropped outlier right before the first kept run that sits on the new side (an overshoot
  // at the start of the new level) is the change's first run.
  const onNewSide = (v: number) => Math.abs(v - cp.stats.meanAfter) < Math.abs(v - cp.stats.meanBefore);
  while (at > 1 && ctx.dropped.has(at - 1) && onNewSide(logOf(runs[at - 1]!.overheadPct))) at--;
  const after = runs[at]!;
  // The run just before in time, even an outlier: "runs X → Y" names neighbours.
  const before = runs[at - 1]!;
  // The segments the t-test compared (at most maxSegment runs a side, up to the neighbours).
  const lo = cp.index - cp.stats.nBefore;
  const hi = cp.index + cp.stats.nAfter;
  const beforeVals = overhead.slice(lo, cp.index);
  const afterVals = overhead.slice(cp.index, hi);
  const meanBefore = mean(beforeVals);
  const meanAfter = mean(afterVals);
  const change = meanAfter - meanBefore;
  const prevAt = k > 0 ? keptAt[cps[k - 1]!.index]! : 0;
  const nextAt = k + 1 < cps.length ? keptAt[cps[k + 1]!.index]! : runs.length;
  const fields: ChangeRecord['fields'] = {
    shape: 'step',
    before_pct: meanBefore,
    after_pct: meanAfter,
    change_pct: change,
    p_value: cp.stats.pValue,
    n_before: beforeVals.length,
    n_after: afterVals.length,
    run_id: after.runId,
    before_run_id: before.runId,
    baseline_run_id: after.baselineRunId,
    before_baseline_run_id: before.baselineRunId,
    gap_s: Number(after.timeNs - before.timeNs) / 1e9,
    ...factsAcross(ctx, prevAt, at, nextAt),
    outlier_run_ids: outliersBetween(ctx, lo, hi),
  };
  if (beforeVals.length >= 2 && afterVals.length >= 2) {
    const w = welchTTest(afterVals, beforeVals);
    // Neighbouring runs share host state: the interval widens by the same AR(1) factor as the test.
    const n1 = beforeVals.length;
    const n2 = afterVals.length;
    const widen = Math.sqrt(
      (meanVarianceFactor(n1, ctx.rho) + meanVarianceFactor(n2, ctx.rho) - 2 * adjacentCovarianceFactor(n1, n2, ctx.rho)) / (1 / n1 + 1 / n2),
    );
    fields.ci_low_pct = w.diff - (w.diff - w.low) * widen;
    fields.ci_high_pct = w.diff + (w.high - w.diff) * widen;
  }
  const cause = explainedByBaseline(cp.index, cp.index, cp.stats.meanAfter - cp.stats.meanBefore, ctx.baselineCps, ctx.span) ? 'baseline' : 'guest';
  const kind = change > 0 ? 'regression' : 'improvement';
  fields.summary = summarize(kind, cause, after.tags, fields);
  return { timeNs: after.timeNs, tags: { ...after.tags, kind, cause }, fields };
}

/**
 * One drift: the group of change points cps[d.first..d.last] refitted as a ramp (drift.ts). Its
 * time is the first run that moved; `end_run_id` the first at the new level (absent while the
 * series is still drifting); levels, change and interval from the ramp's fit.
 */
function driftRecord(ctx: RecordContext, d: Drift, cps: readonly ChangePoint[]): ChangeRecord {
  const { runs, keptAt } = ctx;
  const r = d.ramp;
  const pct = (l: number) => Math.expm1(l) * 100;
  const at = keptAt[r.start + 1]!;
  const after = runs[at]!;
  const before = runs[keptAt[r.start]!]!;
  const ongoing = r.end >= keptAt.length;
  const endRun = runs[keptAt[Math.min(r.end, keptAt.length - 1)]!]!;
  const change = pct(r.after) - pct(r.before);
  const days = Number(endRun.timeNs - after.timeNs) / 86_400e9;
  const prevAt = d.first > 0 ? keptAt[cps[d.first - 1]!.index]! : 0;
  const nextAt = d.last + 1 < cps.length ? keptAt[cps[d.last + 1]!.index]! : runs.length;
  const fields: ChangeRecord['fields'] = {
    shape: 'drift',
    before_pct: pct(r.before),
    after_pct: pct(r.after),
    change_pct: change,
    p_value: d.pValue,
    n_before: r.start + 1 - d.lo,
    n_after: Math.max(0, d.hi - r.end),
    run_id: after.runId,
    before_run_id: before.runId,
    baseline_run_id: after.baselineRunId,
    before_baseline_run_id: before.baselineRunId,
    gap_s: Number(after.timeNs - before.timeNs) / 1e9,
    drift_runs: r.end - r.start,
    end_ms: Number(endRun.timeNs / 1_000_000n),
    ...(ongoing ? {} : { end_run_id: endRun.runId }),
    ...(days > 0 ? { slope_pct_per_day: change / days } : {}),
    ...factsAcross(ctx, prevAt, keptAt[r.start]! + 1, ongoing ? nextAt : keptAt[r.end]!),
    outlier_run_ids: outliersBetween(ctx, d.lo, d.hi),
  };
  const cause = explainedByBaseline(r.start, r.end, r.after - r.before, ctx.baselineCps, ctx.span) ? 'baseline' : 'guest';
  const kind = change > 0 ? 'regression' : 'improvement';
  fields.summary = summarize(kind, cause, after.tags, fields);
  return { timeNs: after.timeNs, tags: { ...after.tags, kind, cause }, fields };
}

/** Usable runs a series needs before it is analysed: a minimum segment either side of a change. */
export function runsNeeded(options: ChangeDetectionOptions = {}): number {
  return 2 * (options.minSegment ?? DEFAULT_CHANGE_OPTIONS.minSegment);
}

/** Finds the changes of one series (runs in time order). */
export function detectChanges(runs: readonly OverheadRun[], options: ChangeDetectionOptions = {}): SeriesVerdict {
  const opts = { ...DEFAULT_CHANGE_OPTIONS, ...options };
  const needed = runsNeeded(opts);
  if (runs.length < needed) return { status: 'too-short', runs: runs.length, needed };
  // Analysed as the log of the time ratio guest/baseline, ln(1 + overhead/100), as the
  // comparison engine does with ratios: host noise is multiplicative (a loaded machine slows a
  // run by a factor), and on the log the spread does not grow with the level — in overhead
  // points a guest at +600 % varies 7× as much as one at 0 %, which would make every run of its
  // new level look like an outlier. The floor is relative too: a change of the guest's ratio by
  // less than minChangePct % is not reported (a floor in overhead points would be too low for a
  // guest at +150 %, too high for one at 0 %). Means are reported in overhead points.
  // The analysis sees the runs that are not isolated outliers; indexes below are into `kept`.
  // A value no ratio can give (≤ −100 %, not finite) is bad data: left out like an outlier.
  const valid = (r: OverheadRun) => r.overheadPct > -100 && Number.isFinite(r.overheadPct) && Number.isFinite(r.baselineValue);
  const validAt = runs.map((_, i) => i).filter((i) => valid(runs[i]!));
  const dropped = new Set(runs.map((_, i) => i).filter((i) => !valid(runs[i]!)));
  if (opts.outlierThreshold > 0) {
    const outliers = isolatedOutliers(
      validAt.map((i) => logOf(runs[i]!.overheadPct)),
      { threshold: opts.outlierThreshold },
    );
    for (const j of outliers) dropped.add(validAt[j]!);
  }
  const kept = runs.filter((_, i) => !dropped.has(i));
  const keptAt = runs.map((_, i) => i).filter((i) => !dropped.has(i));
  // Too short once the outliers and impossible values are out: `runs` counts the usable ones.
  if (kept.length < needed) return { status: 'too-short', runs: kept.length, needed };
  const overhead = kept.map((r) => r.overheadPct);
  const logs = overhead.map(logOf);
  const maxPValue = splitPValue(opts.familyPValue, opts.windowLen, kept.length);
  // One ρ per series, from the series itself (robust to its shifts, drift and outliers).
  const rho = opts.autocorrelated ? noiseAutocorrelation(logs) : undefined;
  const cps = changePoints(logs, { ...opts, maxPValue, minAbsChange: logOf(opts.minChangePct), ...(rho !== undefined ? { autocorrelation: rho } : {}) });
  // The baseline's own series, on the same runs: a shift there explains a shift of the overhead.
  const baselineValues = kept.map((r) => r.baselineValue);
  const baselineCps =
    cps.length > 0
      ? changePoints(baselineValues, {
          ...opts,
          maxPValue,
          // The baseline is a raw value (events/s, ms): the same floor, as a relative change.
          minMagnitude: opts.minChangePct / 100,
          ...(opts.autocorrelated ? { autocorrelation: noiseAutocorrelation(baselineValues) } : {}),
        })
      : [];
  const drifts = opts.driftMinRuns > 0 ? findDrifts(logs, cps, { minRuns: opts.driftMinRuns, rho: rho ?? 0 }) : [];
  const ctx: RecordContext = { runs, keptAt, dropped, overhead, baselineCps, span: opts.baselineSpan, rho: rho ?? 0 };
  const changes: ChangeRecord[] = [];
  for (let k = 0; k < cps.length; k++) {
    const drift = drifts.find((d) => d.first === k);
    if (drift) {
      changes.push(driftRecord(ctx, drift, cps));
      k = drift.last;
    } else changes.push(stepRecord(ctx, cps, k));
  }
  return { status: 'analysed', runs: runs.length, changes };
}
