// Change points of one overhead series (one guest × test × profile × threads × metric ×
// baseline agent), as the points to write to `overhead_change`. Pure: the driver reads the
// series from InfluxDB and writes what this returns.
import { changePoints, isolatedOutliers, type ChangePoint, type ChangePointOptions } from '../../lib/changepoint/index.js';
import { DEFAULT_MARGIN_PCT } from '../../lib/compare/margin.js';
import { mean, welchTTest } from '../../lib/stats/stats.js';
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

export interface ChangeDetectionOptions extends Omit<ChangePointOptions, 'minAbsChange' | 'minMagnitude' | 'maxPValue'> {
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
}

/**
 * The collector's defaults (docs/BENCHMARKS.md "Change points" measured why each is needed):
 * - p 0.001 for a window as a whole: Otava's 0.001 is the level of ONE split, but E-divisive
 *   picks the best of the window's candidate splits (49 in a full window), so the nominal p of
 *   the winner is far too optimistic on heavy-tailed noise; each split is tested at 0.001
 *   divided by the number of candidates (Bonferroni). Window 50 as Otava;
 * - 3 runs a side, and isolated outlier runs (> 5 robust SDs from their neighbours) left out:
 *   one disturbed run is not a persistent shift;
 * - a change of at least the comparison engine's default margin (3 %): a smaller change of the
 *   guest is one the product calls equivalent;
 * - the t-test looks at the nearest 50 runs a side (the window): a fresh shift is judged
 *   against the last ~12 days, not against a year of drift and leftover outliers;
 * - changes 8 runs (2 days of 6-hourly runs) apart or closer are one event: a bump that went
 *   back is a transient, not a change; a shift in two steps is one change.
 */
export const DEFAULT_CHANGE_OPTIONS: Required<ChangeDetectionOptions> = {
  familyPValue: 0.001,
  windowLen: 50,
  minSegment: 3,
  minChangePct: DEFAULT_MARGIN_PCT,
  maxSegment: 50,
  mergeWithin: 8,
  baselineSpan: 2,
  outlierThreshold: 5,
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
 * Whether the baseline's own change explains a change of the overhead: one within `span` runs
 * that moved the baseline by at least half as much (on the log scale) as the guest's time ratio
 * moved. A baseline that drifted 3 % on a loaded host does not explain a guest 5× slower.
 */
function explainedByBaseline(index: number, logRatioChange: number, baseline: readonly ChangePoint[], span: number): boolean {
  return baseline.some((b) => Math.abs(b.index - index) <= span && Math.abs(Math.log(b.stats.meanAfter / b.stats.meanBefore)) >= Math.abs(logRatioChange) / 2);
}

const signed = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(1);

/** One line for annotations and alerts: what moved, by how much, and what changed with it. */
function summarize(kind: string, cause: string, tags: Readonly<Record<string, string>>, f: ChangeRecord['fields']): string {
  const who = `${tags.agent ?? '?'} ${tags.test ?? '?'} ${tags.metric ?? '?'}`;
  const what = `${kind} of ${who}: overhead ${signed(f.before_pct as number)} % → ${signed(f.after_pct as number)} % (${signed(f.change_pct as number)} points, p=${(f.p_value as number).toExponential(1)})`;
  const why = cause === 'baseline' ? `; the baseline ${tags.baseline_agent ?? ''} changed at the same time` : '';
  return what + why + (f.facts_detail ? `; ${f.facts_detail}` : '');
}

/** Finds the changes of one series (runs in time order). */
export function detectChanges(runs: readonly OverheadRun[], options: ChangeDetectionOptions = {}): SeriesVerdict {
  const opts = { ...DEFAULT_CHANGE_OPTIONS, ...options };
  const needed = 2 * opts.minSegment;
  if (runs.length < needed) return { status: 'too-short', runs: runs.length, needed };
  // Analysed as the log of the time ratio guest/baseline, ln(1 + overhead/100), as the
  // comparison engine does with ratios: host noise is multiplicative (a loaded machine slows a
  // run by a factor), and on the log the spread does not grow with the level — in overhead
  // points a guest at +600 % varies 7× as much as one at 0 %, which would make every run of its
  // new level look like an outlier. The floor is the product's equivalence margin between the
  // guest before and after: a change of the ratio by less than minChangePct % is one `compare`
  // would call equivalent (a floor in overhead points would be too low for a guest at +150 %,
  // too high for one at 0 %). Means are reported in overhead points.
  const logOf = (o: number) => Math.log1p(o / 100);
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
  const maxPValue = splitPValue(opts.familyPValue, opts.windowLen, kept.length);
  const cps = changePoints(overhead.map(logOf), { ...opts, maxPValue, minAbsChange: logOf(opts.minChangePct) });
  // The baseline's own series, on the same runs: a shift there explains a shift of the overhead.
  const baselineCps =
    cps.length > 0
      ? changePoints(
          kept.map((r) => r.baselineValue),
          // The baseline is a raw value (events/s, ms): the same floor, as a relative change.
          { ...opts, maxPValue, minMagnitude: opts.minChangePct / 100 },
        )
      : [];
  const changes = cps.map((cp, k): ChangeRecord => {
    let at = keptAt[cp.index]!;
    const meanBefore = mean(overhead.slice(cp.index - cp.stats.nBefore, cp.index));
    const meanAfter = mean(overhead.slice(cp.index, cp.index + cp.stats.nAfter));
    // A dropped outlier right before the first kept run that sits on the new side (an overshoot
    // at the start of the new level) is the change's first run.
    const onNewSide = (v: number) => Math.abs(v - cp.stats.meanAfter) < Math.abs(v - cp.stats.meanBefore);
    while (at > 1 && dropped.has(at - 1) && onNewSide(logOf(runs[at - 1]!.overheadPct))) at--;
    const after = runs[at]!;
    // The run just before in time, even an outlier: "runs X → Y" names neighbours.
    const before = runs[at - 1]!;
    // The segments the t-test compared (at most maxSegment runs a side, up to the neighbours).
    const lo = cp.index - cp.stats.nBefore;
    const hi = cp.index + cp.stats.nAfter;
    const beforeVals = overhead.slice(lo, cp.index);
    const afterVals = overhead.slice(cp.index, hi);
    const prevAt = k > 0 ? keptAt[cps[k - 1]!.index]! : 0;
    const nextAt = k + 1 < cps.length ? keptAt[cps[k + 1]!.index]! : runs.length;
    const change = meanAfter - meanBefore;
    const facts = changedFacts(
      runs.slice(prevAt, at).map((r) => r.facts),
      runs.slice(at, nextAt).map((r) => r.facts),
    );
    const left = keptAt[lo]!;
    const right = hi < keptAt.length ? keptAt[hi]! : runs.length;
    const outlierIds = runs
      .slice(left, right)
      .filter((_, j) => dropped.has(left + j))
      .map((r) => r.runId);
    const fields: ChangeRecord['fields'] = {
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
      facts_changed: facts.map((f) => f.name).join(','),
      facts_detail: describeFacts(facts),
      outlier_run_ids: outlierIds.join(','),
    };
    if (beforeVals.length >= 2 && afterVals.length >= 2) {
      const w = welchTTest(afterVals, beforeVals);
      fields.ci_low_pct = w.low;
      fields.ci_high_pct = w.high;
    }
    const cause = explainedByBaseline(cp.index, cp.stats.meanAfter - cp.stats.meanBefore, baselineCps, opts.baselineSpan) ? 'baseline' : 'guest';
    const kind = change > 0 ? 'regression' : 'improvement';
    fields.summary = summarize(kind, cause, after.tags, fields);
    return { timeNs: after.timeNs, tags: { ...after.tags, kind, cause }, fields };
  });
  return { status: 'analysed', runs: runs.length, changes };
}
