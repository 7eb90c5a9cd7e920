// Builds the report data: per group, test, profile and thread count, each system's (native
// baseline, each guest by agent/virt/variant) mean with a 95 % CI, and each guest against
// the baseline: ratio, overhead %, their CI and Welch's t-test. Every successful trial in
// the period is one sample value.
import type { InfluxDB } from 'influx';
import { isTestName, type ResultField } from '../../schema/sysbench.js';
import { eq } from '../../schema/influxql.js';
import { KEY_METRICS, OVERHEAD_METRICS, metricDirection, overheadPct, overheadPctInterval, type Direction } from '../../schema/metrics.js';
import { querySysbench, type SysbenchRow } from '../overhead/rows.js';
import { mean, meanCi, median, ratioCi, stddev, welchTTest } from '../overhead/stats.js';

export interface ReportSystem {
  agent: string;
  host: string;
  role: string;
  virt: string;
  variant: string;
  /** e.g. "native host-a", "kvm vm1", "qemu-tcg vm2 [patched]" */
  label: string;
}

export interface Comparison {
  /** guest mean / reference mean */
  ratio: number;
  ratioLow: number | null;
  ratioHigh: number | null;
  /** Positive = worse than the reference (docs/overhead.md). */
  overheadPct: number;
  overheadLowPct: number | null;
  overheadHighPct: number | null;
  /** Welch's t-test, two-sided; null with fewer than 2 values on a side. */
  p: number | null;
  significant: boolean | null;
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
  /** Against the section's reference (null for the reference itself or without one). */
  vsReference: Comparison | null;
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
}

export interface BuildReportOptions {
  influx: InfluxDB;
  database: string;
  /** Only this group (default: every group). */
  group?: string;
  /** Start of the period: a Date, or a number of milliseconds before now. */
  since: Date | number;
  /** Metrics per test: the key metrics (default) or every metric with a known direction. */
  metrics?: 'key' | 'all';
  now?: Date;
}

const VIRT_ORDER = ['none', 'kvm', 'pvm', 'firecracker', 'xen', 'hyperv', 'vmware', 'virtualbox', 'parallels', 'bhyve', 'vm-other', 'qemu-tcg'];

function systemOf(r: SysbenchRow): ReportSystem {
  const t = r.tags;
  const kind = t.role === 'baseline' && (t.virt === 'none' || !t.virt) ? 'native' : t.virt || 'unknown';
  const variant = t.variant && t.variant !== 'default' ? ` [${t.variant}]` : '';
  return { agent: t.agent!, host: t.host!, role: t.role!, virt: t.virt!, variant: t.variant || 'default', label: `${kind} ${t.agent}${variant}` };
}

function systemKey(s: ReportSystem): string {
  return JSON.stringify([s.agent, s.variant, s.role, s.virt]);
}

function systemOrder(a: ReportSystem, b: ReportSystem): number {
  const rank = (s: ReportSystem) => (s.role === 'baseline' ? 0 : 1) * 100 + (VIRT_ORDER.indexOf(s.virt) + 1 || 99);
  return rank(a) - rank(b) || a.agent.localeCompare(b.agent) || a.variant.localeCompare(b.variant);
}

export function compare(guest: readonly number[], reference: readonly number[], direction: Direction, level: number): Comparison | null {
  const g = mean(guest);
  const b = mean(reference);
  if (!(g > 0) || !(b > 0)) return null;
  const ratio = g / b;
  const enough = guest.length >= 2 && reference.length >= 2;
  const r = enough ? ratioCi(guest, reference, level) : null;
  const pct = r ? overheadPctInterval(r.low, r.high, direction) : null;
  const w = enough ? welchTTest(guest, reference, level) : null;
  return {
    ratio,
    ratioLow: r?.low ?? null,
    ratioHigh: r?.high ?? null,
    overheadPct: overheadPct(ratio, direction),
    overheadLowPct: pct?.[0] ?? null,
    overheadHighPct: pct?.[1] ?? null,
    p: w?.p ?? null,
    significant: w ? w.p < 1 - level : null,
  };
}

/** Normalises to the best system = 1 so that taller is better for either direction. */
function normalize(value: number, best: number, direction: Direction): number {
  return direction === 'higher' ? value / best : best / value;
}

/** Pure part: rows in, sections out (exported for tests and for callers with their own rows). */
export function buildSections(rows: readonly SysbenchRow[], metricsMode: 'key' | 'all' = 'key', level = 0.95): ReportSection[] {
  const sections = new Map<string, SysbenchRow[]>();
  for (const r of rows) {
    if (!r.ok || !isTestName(r.tags.test)) continue;
    const key = JSON.stringify([r.tags.group, r.tags.test, r.tags.profile, r.threads]);
    sections.set(key, [...(sections.get(key) ?? []), r]);
  }
  const out: ReportSection[] = [];
  for (const sectionRows of sections.values()) {
    const first = sectionRows[0]!;
    const test = first.tags.test as keyof typeof KEY_METRICS;
    const systems = new Map<string, { system: ReportSystem; rows: SysbenchRow[] }>();
    for (const r of sectionRows) {
      const s = systemOf(r);
      const entry = systems.get(systemKey(s)) ?? { system: s, rows: [] };
      entry.rows.push(r);
      systems.set(systemKey(s), entry);
    }
    const ordered = [...systems.values()].sort((a, b) => systemOrder(a.system, b.system));
    const baselines = ordered.filter((e) => e.system.role === 'baseline').sort((a, b) => b.rows.length - a.rows.length);
    const reference = baselines[0] ?? null;
    const candidates = metricsMode === 'all' ? OVERHEAD_METRICS : KEY_METRICS[test];
    const metrics: ReportMetric[] = [];
    for (const metric of candidates) {
      const direction = metricDirection(metric)!;
      const perSystem = ordered
        .map((e) => ({ e, values: e.rows.map((r) => r.values[metric]).filter((v): v is number => v !== undefined) }))
        .filter((x) => x.values.length > 0);
      if (perSystem.length === 0) continue;
      const means = perSystem.map((x) => mean(x.values));
      if (means.some((m) => !(m > 0))) continue; // a 0 (e.g. latency printed as 0.00) cannot be normalised
      const best = direction === 'higher' ? Math.max(...means) : Math.min(...means);
      const refValues = reference ? reference.rows.map((r) => r.values[metric]).filter((v): v is number => v !== undefined) : [];
      const results: SystemResult[] = perSystem.map(({ e, values }, i) => {
        const ci = values.length >= 2 ? meanCi(values, level) : null;
        const m = means[i]!;
        const nl = ci ? [normalize(Math.max(ci.low, Number.MIN_VALUE), best, direction), normalize(ci.high, best, direction)].sort((a, b) => a - b) : null;
        const isRef = reference !== null && e === reference;
        return {
          system: e.system,
          n: values.length,
          mean: m,
          median: median(values),
          stddev: values.length >= 2 ? stddev(values) : null,
          ciLow: ci?.low ?? null,
          ciHigh: ci?.high ?? null,
          normalized: normalize(m, best, direction),
          normalizedLow: nl ? nl[0]! : null,
          normalizedHigh: nl ? nl[1]! : null,
          vsReference: !isRef && refValues.length > 0 ? compare(values, refValues, direction, level) : null,
        };
      });
      metrics.push({ metric, direction, results });
    }
    if (metrics.length === 0) continue;
    out.push({ group: first.tags.group!, test, profile: first.tags.profile!, threads: first.threads, reference: reference?.system ?? null, metrics });
  }
  const testRank = (t: string) => Object.keys(KEY_METRICS).indexOf(t);
  return out.sort((a, b) => a.group.localeCompare(b.group) || testRank(a.test) - testRank(b.test) || a.profile.localeCompare(b.profile) || (a.threads ?? 0) - (b.threads ?? 0));
}

export async function buildReport(o: BuildReportOptions): Promise<Report> {
  const now = o.now ?? new Date();
  const since = typeof o.since === 'number' ? new Date(now.getTime() - o.since) : o.since;
  if (Number.isNaN(since.getTime())) throw new Error('buildReport: since is not a valid time');
  const where = [`time >= ${BigInt(since.getTime()) * 1_000_000n}`];
  if (o.group !== undefined) where.push(eq('group', o.group));
  const rows = await querySysbench(o.influx, o.database, where.join(' AND '));
  const level = 0.95;
  return {
    database: o.database,
    group: o.group ?? null,
    since: since.toISOString(),
    generatedAt: now.toISOString(),
    level,
    sections: buildSections(rows, o.metrics ?? 'key', level),
  };
}
