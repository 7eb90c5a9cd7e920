// Change points of one overhead series (one guest × test × profile × threads × metric ×
// baseline agent), as the points to write to `overhead_change`. Pure: the driver reads the
// series from InfluxDB and writes what this returns.
import { changePoints, type ChangePoint, type ChangePointOptions } from '../../lib/changepoint/index.js';
import { welchTTest } from '../../lib/stats/stats.js';
import { changedFacts, describeFacts, type Facts } from './facts.js';

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

export interface ChangeDetectionOptions extends ChangePointOptions {
  /** A change of the baseline's own series this many runs or fewer away makes it a baseline change. */
  baselineSpan?: number;
}

/**
 * The collector's defaults: Otava's p and window; 3 runs a side (a lone outlier is no change);
 * a change of at least 3 points of overhead (over months, slow drift makes tiny differences
 * between long segments "significant"; bench/changes.bench.ts measured the trade-off).
 */
export const DEFAULT_CHANGE_OPTIONS: Required<ChangeDetectionOptions> = {
  maxPValue: 0.001,
  minMagnitude: 0,
  windowLen: 50,
  minSegment: 3,
  minAbsChange: 3,
  baselineSpan: 2,
};

export interface ChangeRecord {
  timeNs: bigint;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
}

export type SeriesVerdict = { status: 'too-short'; runs: number; needed: number } | { status: 'analysed'; runs: number; changes: ChangeRecord[] };

function nearAny(index: number, others: readonly ChangePoint[], span: number): boolean {
  return others.some((o) => Math.abs(o.index - index) <= span);
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
  const overhead = runs.map((r) => r.overheadPct);
  const cps = changePoints(overhead, opts);
  // The baseline's own series, on the same runs: a shift there explains a shift of the overhead.
  const baselineCps =
    cps.length > 0
      ? changePoints(
          runs.map((r) => r.baselineValue),
          opts,
        )
      : [];
  const changes = cps.map((cp, k): ChangeRecord => {
    const after = runs[cp.index]!;
    const before = runs[cp.index - 1]!;
    const lo = k > 0 ? cps[k - 1]!.index : 0;
    const hi = k + 1 < cps.length ? cps[k + 1]!.index : runs.length;
    const beforeVals = overhead.slice(lo, cp.index);
    const afterVals = overhead.slice(cp.index, hi);
    const change = cp.stats.meanAfter - cp.stats.meanBefore;
    const facts = changedFacts(
      runs.slice(lo, cp.index).map((r) => r.facts),
      runs.slice(cp.index, hi).map((r) => r.facts),
    );
    const fields: ChangeRecord['fields'] = {
      before_pct: cp.stats.meanBefore,
      after_pct: cp.stats.meanAfter,
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
    };
    if (beforeVals.length >= 2 && afterVals.length >= 2) {
      const w = welchTTest(afterVals, beforeVals);
      fields.ci_low_pct = w.low;
      fields.ci_high_pct = w.high;
    }
    const cause = nearAny(cp.index, baselineCps, opts.baselineSpan) ? 'baseline' : 'guest';
    const kind = change > 0 ? 'regression' : 'improvement';
    fields.summary = summarize(kind, cause, after.tags, fields);
    return { timeNs: after.timeNs, tags: { ...after.tags, kind, cause }, fields };
  });
  return { status: 'analysed', runs: runs.length, changes };
}
