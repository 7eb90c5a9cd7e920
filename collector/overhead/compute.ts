// One guest run against its group's baselines, for every metric: the rows in, the comparison
// engine's answers out. Pure, so the collector's `overhead` points, its `overhead_chain` points
// and the report share the exact arithmetic (test/report-equals-overhead.test.ts holds them to it).
//
// What each side is (docs/overhead.md "What is compared with what"):
// - the guest: its run (the mean of its trials), with the run-to-run spread learned from the same
//   agent's earlier runs of the series (up to HISTORY_RUNS within HISTORY_MS before it);
// - the baseline: each baseline agent's runs within the window, the BASELINE_POOL_RUNS nearest
//   to the guest run, cleaned (a step cuts them, a disturbed run is left out and named).
import type { ResultField } from '../../schema/sysbench.js';
import { compareRuns, marginFor, runsOf, distanceNs, type Comparison, type Margin, type MarginSpec, type RunValues } from '../../lib/compare/index.js';
import { OVERHEAD_METRICS, metricDirection } from '../../schema/metrics.js';
import type { SysbenchRow } from './rows.js';

/** Baseline runs nearest the guest run that make its reference (6-hourly runs: the ±24 h window holds about 8). */
export const BASELINE_POOL_RUNS = 10;
/** Earlier runs of a guest that its run-to-run spread is learned from. */
export const HISTORY_RUNS = 20;
/** How far back those are looked for. */
export const HISTORY_MS = 14 * 24 * 3_600_000;

export interface MetricComparison {
  metric: ResultField;
  baselineAgent: string;
  /** The used baseline run nearest the guest run. */
  baselineRunId: string;
  margin: Margin;
  comparison: Comparison;
}

export interface CompareRunOptions {
  /** The user's margins (--margin); the default table otherwise. */
  margins?: MarginSpec;
  /** Default: every metric with a direction. */
  metrics?: readonly ResultField[];
}

/** One run's values of a metric (successful trials that printed it), with the printing step when every trial recorded it. */
export function runValues(trials: readonly SysbenchRow[], metric: ResultField): RunValues | null {
  const withValue = trials.filter((r) => r.ok && r.values[metric] !== undefined);
  if (withValue.length === 0) return null;
  const steps = withValue.map((r) => r.resolution[metric]);
  const known = steps.every((s): s is number => s !== undefined && s > 0);
  const startNs = withValue.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), withValue[0]!.timeNs);
  return {
    runId: withValue[0]!.runId,
    startNs,
    values: withValue.map((r) => r.values[metric]!),
    step: known ? Math.max(...steps) : null,
    host: withValue[0]!.tags.host ?? '',
    flagged: withValue.filter((r) => r.disturbed === true).length,
  };
}

/** Each run of `rows` (any runs, any order) as RunValues of `metric`; runs without it are left out. */
export function runsFor(rows: readonly SysbenchRow[], metric: ResultField): RunValues[] {
  return runsOf(rows)
    .map((r) => runValues(r.trials, metric))
    .filter((r): r is RunValues => r !== null);
}

/** The `keep` runs of `rows` nearest in time to `ns` (ties: the earlier), as trial rows. */
export function nearestRuns(rows: readonly SysbenchRow[], ns: bigint, keep: number): SysbenchRow[] {
  const runs = runsOf(rows).sort((a, b) => {
    const [da, db] = [distanceNs(a.startNs, ns), distanceNs(b.startNs, ns)];
    return da < db ? -1 : da > db ? 1 : a.startNs < b.startNs ? -1 : 1;
  });
  return runs.slice(0, keep).flatMap((r) => r.trials);
}

/** A run's earlier runs of the same agent's series: trials within HISTORY_MS before `startNs`, the last HISTORY_RUNS runs. */
export function historyBefore(rows: readonly SysbenchRow[], startNs: bigint): SysbenchRow[] {
  const from = startNs - BigInt(HISTORY_MS) * 1_000_000n;
  return runsOf(rows.filter((r) => r.ok && r.timeNs >= from && r.timeNs < startNs))
    .filter((r) => r.startNs < startNs)
    .slice(-HISTORY_RUNS)
    .flatMap((r) => r.trials);
}

/**
 * One run (`runRows`, one run's successful trials) against a pool of reference runs, for one
 * metric: the engine's comparison and where it came from. `historyRows`: the run's agent's earlier
 * runs (historyBefore); `poolRows`: the reference agent's runs (nearestRuns).
 */
export function compareRunToPool(
  runRows: readonly SysbenchRow[],
  historyRows: readonly SysbenchRow[],
  poolRows: readonly SysbenchRow[],
  metric: ResultField,
  margin: Margin,
  names = { candidate: 'guest', reference: 'baseline' },
): { comparison: Comparison; nearestRunId: string } | null {
  const run = runValues(runRows, metric);
  const pool = runsFor(poolRows, metric);
  if (run === null && pool.length === 0) return null;
  const nearNs = run?.startNs ?? runsOf(runRows)[0]?.startNs ?? 0n;
  const comparison = compareRuns({ runs: run ? [run] : [], history: runsFor(historyRows, metric) }, { runs: pool }, nearNs, {
    direction: metricDirection(metric)!,
    marginPct: margin.marginPct,
    names,
  });
  const used = comparison.referenceRunIds.length ? comparison.referenceRunIds : pool.map((r) => r.runId);
  const nearest = pool.filter((r) => used.includes(r.runId)).sort((a, b) => (distanceNs(a.startNs, nearNs) < distanceNs(b.startNs, nearNs) ? -1 : 1))[0];
  return { comparison, nearestRunId: nearest?.runId ?? '' };
}

/**
 * Compares one guest run (its successful trials at one thread count) with each baseline agent's
 * runs nearest in time (from `baselineRows`: trials of the same group, test, profile and thread
 * count within the window), the guest's spread learned from `historyRows` (its earlier runs of
 * the series). Metrics absent on both sides are skipped; present on one side only: `unmeasurable`.
 */
export function compareGuestRun(
  guestRows: readonly SysbenchRow[],
  historyRows: readonly SysbenchRow[],
  baselineRows: readonly SysbenchRow[],
  o: CompareRunOptions = {},
): MetricComparison[] {
  const run = guestRows.filter((r) => r.ok);
  if (run.length === 0) return [];
  const { group, test } = run[0]!.tags;
  const guestStart = runsOf(run)[0]!.startNs;
  const history = historyBefore(historyRows, guestStart);
  const byAgent = new Map<string, SysbenchRow[]>();
  for (const r of baselineRows) if (r.ok) byAgent.set(r.tags.agent!, [...(byAgent.get(r.tags.agent!) ?? []), r]);
  const out: MetricComparison[] = [];
  for (const [agent, rows] of [...byAgent].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const pool = nearestRuns(rows, guestStart, BASELINE_POOL_RUNS);
    for (const metric of o.metrics ?? OVERHEAD_METRICS) {
      const margin = marginFor(o.margins, group, test!, metric);
      const c = compareRunToPool(run, history, pool, metric, margin);
      if (c) out.push({ metric, baselineAgent: agent, baselineRunId: c.nearestRunId, margin, comparison: c.comparison });
    }
  }
  return out;
}

/** The `overhead` (and `overhead_chain`) point's fields for one comparison (docs/schema.md); absent numbers are left out. */
export function overheadFields(c: { margin: Margin; comparison: Comparison }): Record<string, number | string> {
  const x = c.comparison;
  const f: Record<string, number | string> = {
    n_guest: x.nCandidate,
    n_baseline: x.nReference,
    runs_guest: x.runsCandidate,
    runs_baseline: x.runsReference,
    runs_excluded: x.excluded.length,
    verdict: x.verdict,
    verdict_reason: x.reason,
    margin_pct: c.margin.marginPct,
    margin_source: c.margin.source,
  };
  if (x.referenceRunIds.length) f.baseline_run_ids = x.referenceRunIds.join(',');
  const put = (k: string, v: number | null) => {
    if (v !== null) f[k] = v;
  };
  put('guest_value', x.candidateMean);
  put('baseline_value', x.referenceMean);
  put('ratio', x.ratio);
  put('overhead_pct', x.overheadPct);
  put('ci_low_pct', x.overheadLowPct);
  put('ci_high_pct', x.overheadHighPct);
  put('p', x.p);
  put('df', x.df);
  put('more_runs', x.moreRuns);
  put('noise_floor_pct', x.noiseFloorPct);
  put('guest_run_sd_pct', x.candidateRunSdPct);
  put('baseline_run_sd_pct', x.referenceRunSdPct);
  put('rounding_pct', x.roundingPct);
  f.worse_by_pct = worseByPct(x, c.margin.marginPct);
  return f;
}

/**
 * How far the interval's lower end clears +m: > 0 exactly when the verdict is `worse`, else ≤ 0
 * (0 without an interval). Grafana's alert rules need a number to reduce (they cannot compare
 * the string `verdict`), and `ci_low_pct − margin_pct` is not the verdict once the engine caps
 * one (a run its agent judged disturbed is `inconclusive` whatever its interval).
 */
export function worseByPct(x: Pick<Comparison, 'verdict' | 'overheadLowPct'>, marginPct: number): number {
  const clears = x.overheadLowPct === null ? null : x.overheadLowPct - marginPct;
  if (x.verdict === 'worse') {
    if (clears === null || !(clears > 0)) throw new Error(`overhead: verdict worse without an interval above the margin (${x.overheadLowPct} vs ${marginPct})`);
    return clears;
  }
  return clears === null ? 0 : Math.min(0, clears);
}

/**
 * One layer of a nested stack against its parent (or the whole stack against its root): the same
 * engine as a guest against its baseline — the layer's run with its own history, against the
 * parent's runs nearest it. Null when the metric has no ratio (a mean of 0, or no values on a
 * side): no chain point then.
 */
export function compareLayer(
  runRows: readonly SysbenchRow[],
  historyRows: readonly SysbenchRow[],
  poolRows: readonly SysbenchRow[],
  metric: ResultField,
  margin: Margin,
  reference: 'parent' | 'root',
): Record<string, number | string> | null {
  const c = compareRunToPool(runRows, historyRows, poolRows, metric, margin, { candidate: 'layer', reference });
  if (!c || c.comparison.ratio === null) return null;
  return overheadFields({ margin, comparison: c.comparison });
}
