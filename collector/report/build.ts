// Builds the report data: per group, test, profile and thread count, each system's (native
// baseline, each guest by agent/virt/variant) latest run in the period, its mean with a 95 % CI,
// and each guest's latest run against the baseline exactly as the collector's `overhead` point
// has it (compareGuestRun: the baseline's runs nearest in time, the guest's spread from its own
// earlier runs, the margin table or the user's margin, the engine's verdict). Trials outside the
// period still count (the window around the guest run, the guest's history before it), so the
// report and the stored point cannot disagree.
import type { ResultField } from '../../schema/sysbench.js';
import { compareRuns, marginFor, type Comparison, type Margin, type MarginSpec } from '../../lib/compare/index.js';
import { mean, meanCi, median, stddev } from '../../lib/stats/stats.js';
import { compareGuestRun } from '../overhead/compute.js';
import { DEFAULT_WINDOW_MS } from '../overhead/window.js';
import { KEY_METRICS, OVERHEAD_METRICS, metricDirection, type Direction } from '../../schema/metrics.js';
import type { SysbenchRow } from '../overhead/rows.js';
import type { Store } from '../store/store.js';
import type { SystemNoise } from './noise.js';
import { comparedSpans, layoutSections, systemKey, windowNsOf, type ReportSystem, type SectionLayout } from './layout.js';
import { readReport } from './summary-reads.js';

export type { ReportSystem } from './layout.js';
export { systemLabel } from './layout.js';

/** A guest's latest run against the baseline: the engine's answer plus where it came from. */
export interface ReportComparison extends Comparison {
  margin: Margin;
  runId: string;
  baselineRunId: string;
}

export interface SystemResult {
  system: ReportSystem;
  n: number;
  mean: number;
  median: number;
  stddev: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** Performance relative to the best system of this metric: 1 = best, taller is better. */
  normalized: number;
  normalizedLow: number | null;
  normalizedHigh: number | null;
  /** The run shown (the system's latest in the period), and when its first trial was stored (ISO). */
  runId: string;
  runTime: string;
  /** Against the section's reference (null for the reference itself or without one). */
  vsReference: ReportComparison | null;
}

export interface ReportMetric {
  metric: ResultField;
  direction: Direction;
  results: SystemResult[];
}

export interface ReportSection {
  group: string;
  test: string;
  profile: string;
  threads: number | null;
  /** The native baseline every guest is compared against (the baseline agent with most trials). */
  reference: ReportSystem | null;
  metrics: ReportMetric[];
}

export interface Report {
  database: string;
  group: string | null;
  since: string;
  generatedAt: string;
  level: number;
  sections: ReportSection[];
  /** Per system: its trials' noise and disturbed count (docs/noise.md). */
  noise: SystemNoise[];
  /** Whether disturbed trials were left out of the comparisons. */
  excludeDisturbed: boolean;
}

export interface BuildReportOptions {
  /** Where the results are read (collector/store: InfluxDB, or memory in tests). */
  store: Store;
  database: string;
  /** Only this group (default: every group). */
  group?: string;
  /** Start of the period: a Date, or a number of milliseconds before now. */
  since: Date | number;
  /** Metrics per test: the key metrics (default) or every metric with a known direction. */
  metrics?: 'key' | 'all';
  now?: Date;
  /** Baseline window, as the collector's (default 24 h). */
  windowMs?: number;
  /** Equivalence margins, as the collector's (--margin; default: the table). */
  margins?: MarginSpec;
  /** Leave trials their agent judged disturbed out, as the collector's --exclude-disturbed. */
  excludeDisturbed?: boolean;
}

export interface SectionOptions {
  metrics?: 'key' | 'all';
  /** Systems show their latest run at or after this time (ns); earlier rows serve the baseline rule only. */
  sinceNs?: bigint;
  windowMs?: number;
  margins?: MarginSpec;
}

/** Normalises to the best system = 1 so that taller is better for either direction. */
function normalize(value: number, best: number, direction: Direction): number {
  return direction === 'higher' ? value / best : best / value;
}

/** A guest with nothing to compare with says so in its verdict (never a number that looks precise). */
function noBaseline(run: SysbenchRow[], metric: ResultField, direction: Direction, hasReference: boolean, margins?: MarginSpec): ReportComparison {
  const { group, test } = run[0]!.tags;
  const margin = marginFor(margins, group, test!, metric);
  const values = run.map((r) => r.values[metric]).filter((v): v is number => v !== undefined);
  const c = compareRuns({ runs: [{ runId: run[0]!.runId, startNs: run[0]!.timeNs, values }] }, { runs: [] }, run[0]!.timeNs, {
    direction,
    marginPct: margin.marginPct,
  });
  const reason = hasReference ? 'no baseline run of this metric within the window' : 'no baseline agent in this group';
  return { ...c, reason, margin, runId: run[0]!.runId, baselineRunId: '' };
}

/** Pure part: rows in, sections out (exported for tests and for callers with their own rows). */
export function buildSections(rows: readonly SysbenchRow[], o: SectionOptions = {}): ReportSection[] {
  return sectionsOf(layoutSections(rows, o.sinceNs ?? -(2n ** 63n)), o);
}

/** The sections' arithmetic on their layouts (layout.ts decided the systems, reference and runs shown). */
function sectionsOf(layouts: readonly SectionLayout[], o: SectionOptions): ReportSection[] {
  const windowNs = windowNsOf(o.windowMs ?? DEFAULT_WINDOW_MS);
  const out: ReportSection[] = [];
  for (const { test, rows: allRows, first, reference, shown } of layouts) {
    const candidates = o.metrics === 'all' ? OVERHEAD_METRICS : KEY_METRICS[test];
    // Each system is shown by its latest run; each guest's run is compared as the collector does.
    const vs = new Map<string, Map<ResultField, ReportComparison>>();
    if (reference) {
      const refAgent = reference.system.agent;
      // Looked up per guest from these, once per section: filtering every row of the section for
      // every guest made a year's report guests × rows.
      const refRows = allRows.filter((r) => r.tags.role === 'baseline' && r.tags.agent === refAgent);
      const guestRows = new Map<string, SysbenchRow[]>();
      // A series' rows share one tags object (sysbenchRows): its key made once, not per row.
      const keys = new Map<object, string>();
      for (const r of allRows) {
        if (r.tags.role !== 'guest') continue;
        const k = keys.get(r.tags) ?? keys.set(r.tags, JSON.stringify([r.tags.agent, r.tags.variant])).get(r.tags)!;
        const list = guestRows.get(k);
        if (list) list.push(r);
        else guestRows.set(k, [r]);
      }
      for (const { e, run } of shown) {
        if (e.system.role !== 'guest') continue;
        const {
          start,
          reference: [from, to],
        } = comparedSpans(run, windowNs);
        const baselineRows = refRows.filter((r) => r.timeNs >= from && r.timeNs <= to);
        // The guest's earlier runs (as the collector reads them: this agent's and variant's guest rows; compareGuestRun keeps the history window).
        const variant = run[0]!.tags.variant;
        const history = (guestRows.get(JSON.stringify([e.system.agent, variant])) ?? []).filter((r) => r.timeNs < start);
        const byMetric = new Map<ResultField, ReportComparison>();
        for (const c of compareGuestRun(run, history, baselineRows, { margins: o.margins, metrics: candidates })) {
          byMetric.set(c.metric, { ...c.comparison, margin: c.margin, runId: run[0]!.runId, baselineRunId: c.baselineRunId });
        }
        vs.set(systemKey(e.system), byMetric);
      }
    }
    const metrics: ReportMetric[] = [];
    for (const metric of candidates) {
      const direction = metricDirection(metric)!;
      const perSystem = shown
        .map(({ e, run }) => ({ e, run, values: run.map((r) => r.values[metric]).filter((v): v is number => v !== undefined) }))
        .filter((x) => x.values.length > 0);
      if (perSystem.length === 0) continue;
      const means = perSystem.map((x) => mean(x.values));
      if (means.some((m) => !(m > 0))) continue; // a 0 (e.g. latency printed as 0.00) cannot be normalised
      const best = direction === 'higher' ? Math.max(...means) : Math.min(...means);
      const results: SystemResult[] = perSystem.map(({ e, run, values }, i) => {
        const ci = values.length >= 2 ? meanCi(values, 0.95) : null;
        const m = means[i]!;
        const nl = ci ? [normalize(Math.max(ci.low, Number.MIN_VALUE), best, direction), normalize(ci.high, best, direction)].sort((a, b) => a - b) : null;
        return {
          system: e.system,
          runId: run[0]!.runId,
          runTime: new Date(Number(run[0]!.timeNs / 1_000_000n)).toISOString(),
          n: values.length,
          mean: m,
          median: median(values),
          stddev: values.length >= 2 ? stddev(values) : null,
          ciLow: ci?.low ?? null,
          ciHigh: ci?.high ?? null,
          normalized: normalize(m, best, direction),
          normalizedLow: nl ? nl[0]! : null,
          normalizedHigh: nl ? nl[1]! : null,
          vsReference:
            vs.get(systemKey(e.system))?.get(metric) ?? (e.system.role === 'guest' ? noBaseline(run, metric, direction, reference !== null, o.margins) : null),
        };
      });
      metrics.push({ metric, direction, results });
    }
    if (metrics.length === 0) continue;
    out.push({ group: first.tags.group!, test, profile: first.tags.profile!, threads: first.threads, reference: reference?.system ?? null, metrics });
  }
  const testRank = (t: string) => Object.keys(KEY_METRICS).indexOf(t);
  return out.sort(
    (a, b) =>
      a.group.localeCompare(b.group) || testRank(a.test) - testRank(b.test) || a.profile.localeCompare(b.profile) || (a.threads ?? 0) - (b.threads ?? 0),
  );
}

export async function buildReport(o: BuildReportOptions): Promise<Report> {
  const now = o.now ?? new Date();
  const since = typeof o.since === 'number' ? new Date(now.getTime() - o.since) : o.since;
  if (Number.isNaN(since.getTime())) throw new Error('buildReport: since is not a valid time');
  const windowMs = o.windowMs ?? DEFAULT_WINDOW_MS;
  const sinceNs = BigInt(since.getTime()) * 1_000_000n;
  const excludeDisturbed = o.excludeDisturbed === true;
  // A guest run early in the period may have its baseline runs and its own earlier runs before it:
  // the reads reach back for those (reads.ts).
  const { layouts, noise } = await readReport(o.store, {
    sinceNs,
    nowNs: BigInt(now.getTime()) * 1_000_000n,
    ...(o.group !== undefined ? { group: o.group } : {}),
    metrics: o.metrics ?? 'key',
    windowNs: windowNsOf(windowMs),
    excludeDisturbed,
  });
  const level = 0.95;
  return {
    database: o.database,
    group: o.group ?? null,
    since: since.toISOString(),
    generatedAt: now.toISOString(),
    level,
    sections: sectionsOf(layouts, { metrics: o.metrics ?? 'key', sinceNs, windowMs, margins: o.margins }),
    noise,
    excludeDisturbed,
  };
}
