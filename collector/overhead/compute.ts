// One guest run against its group's baselines, for every metric: the rows in, the comparison
// engine's answers out. Pure, so the collector's `overhead` points and the report share the
// exact arithmetic (test/report-equals-overhead.test.ts holds them to it).
import type { ResultField } from '../../schema/sysbench.js';
import { chooseMargin, compareSamples, nearestRun, runsOf, NOISE_FLOOR_MAX_RUNS, type Comparison, type Margin, type Sample } from '../../lib/compare/index.js';
import { mean } from '../../lib/stats/stats.js';
import { OVERHEAD_METRICS, metricDirection, type Direction } from '../../schema/metrics.js';
import type { SysbenchRow } from './rows.js';

export interface MetricComparison {
  metric: ResultField;
  baselineAgent: string;
  baselineRunId: string;
  margin: Margin;
  comparison: Comparison;
}

export interface CompareRunOptions {
  /** User-set margin in percent (per group); default: the baseline's noise floor. */
  marginPct?: number | null;
  /** Default: every metric with a direction. */
  metrics?: readonly ResultField[];
}

/** The values of one metric in these rows, with the printing step when every row recorded it. */
export function sampleOf(rows: readonly SysbenchRow[], metric: ResultField): Sample {
  const withValue = rows.filter((r) => r.values[metric] !== undefined);
  const steps = withValue.map((r) => r.resolution[metric]);
  const known = steps.every((s): s is number => s !== undefined && s > 0);
  return { values: withValue.map((r) => r.values[metric]!), resolution: known && steps.length > 0 ? Math.max(...steps) : null };
}

/**
 * Compares one guest run (its successful trials at one thread count) with each baseline agent's
 * run nearest in time (from `baselineRows`: successful trials of the same group, test, profile
 * and thread count within the window). The margin comes from that agent's runs nearest in time.
 * Metrics absent on both sides are skipped; present on one side only: `unmeasurable`.
 */
export function compareGuestRun(guestRows: readonly SysbenchRow[], baselineRows: readonly SysbenchRow[], o: CompareRunOptions = {}): MetricComparison[] {
  if (guestRows.length === 0) return [];
  const guestStart = runsOf(guestRows)[0]!.startNs;
  const byAgent = new Map<string, SysbenchRow[]>();
  for (const r of baselineRows) byAgent.set(r.tags.agent!, [...(byAgent.get(r.tags.agent!) ?? []), r]);
  const out: MetricComparison[] = [];
  for (const [agent, rows] of [...byAgent].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const chosen = nearestRun(rows, guestStart)!;
    const dist = (s: bigint) => (s > guestStart ? s - guestStart : guestStart - s);
    const recent = runsOf(rows)
      .sort((a, b) => (dist(a.startNs) < dist(b.startNs) ? -1 : dist(a.startNs) > dist(b.startNs) ? 1 : 0))
      .slice(0, NOISE_FLOOR_MAX_RUNS);
    for (const metric of o.metrics ?? OVERHEAD_METRICS) {
      const g = sampleOf(guestRows, metric);
      const b = sampleOf(chosen.trials, metric);
      if (g.values.length === 0 && b.values.length === 0) continue;
      const runMeans = recent
        .map((r) => sampleOf(r.trials, metric).values)
        .filter((v) => v.length > 0)
        .map((v) => mean(v));
      const margin = chooseMargin(runMeans, o.marginPct);
      const comparison = compareSamples(g, b, { direction: metricDirection(metric)!, marginPct: margin.marginPct });
      out.push({ metric, baselineAgent: agent, baselineRunId: chosen.runId, margin, comparison });
    }
  }
  return out;
}

/** The `overhead` point's fields for one comparison (docs/schema.md); absent numbers are left out. */
export function overheadFields(c: MetricComparison): Record<string, number | string> {
  const x = c.comparison;
  const f: Record<string, number | string> = {
    n_guest: x.nCandidate,
    n_baseline: x.nReference,
    verdict: x.verdict,
    verdict_reason: x.reason,
    margin_pct: c.margin.marginPct,
    margin_source: c.margin.source,
  };
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
  put('more_trials', x.moreTrials);
  put('noise_floor_pct', c.margin.noiseFloorPct);
  return f;
}

/**
 * One layer of a nested stack against its parent (or the root): the same engine as a guest
 * against its baseline, at the margin set for the group, else the default one (a layer has no
 * noise floor of its own). Null when the metric has no ratio (a mean of 0, or no values on a
 * side): no chain point then.
 */
export function compareLayer(
  child: readonly number[],
  parent: readonly number[],
  direction: Direction,
  marginPct: number | null = null,
): Record<string, number | string> | null {
  const margin = chooseMargin([], marginPct);
  const comparison = compareSamples({ values: child }, { values: parent }, { direction, marginPct: margin.marginPct });
  if (comparison.ratio === null) return null;
  return overheadFields({ metric: 'events_per_sec', baselineAgent: '', baselineRunId: '', margin, comparison });
}
