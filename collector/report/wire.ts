// The report as data for other programs: one versioned JSON envelope (`schema_version`, `kind`)
// for --format json, and flat rows (one per number shown) for JSON lines, CSV and markdown. The
// contract is docs/report.schema.json (docs/report-formats.md): names are snake_case like the
// InfluxDB fields they come from; within a schema_version fields are only ever added, so a
// consumer ignores fields it does not know.
import type { ReportDocument } from './document.js';
import { REPORT_FACTS, type SystemFacts } from './facts.js';

/** Bumped only when a field is renamed, removed or changes meaning. */
export const SCHEMA_VERSION = 1;

// Each name converted once: a year's report has ~200 000 keys of a few dozen names.
const snakes = new Map<string, string>();
const snake = (k: string) =>
  snakes.get(k) ??
  snakes
    .set(
      k,
      k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    )
    .get(k)!;

/** camelCase keys → snake_case, deep; NaN and infinities → null (as JSON.stringify would write them). */
function toWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toWire);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), toWire(x)]));
}

/** The document as the versioned envelope (--format json). */
export function envelope(doc: ReportDocument): Record<string, unknown> {
  const head = { schemaVersion: SCHEMA_VERSION, kind: doc.kind, generatedAt: doc.generatedAt, database: doc.database, group: doc.group, since: doc.since };
  switch (doc.kind) {
    case 'overhead': {
      // The report's own fields (level, sections and whatever it gains) beside the chains.
      const { database: _d, group: _g, since: _s, generatedAt: _t, ...rest } = doc.report;
      return toWire({ ...head, systems: doc.systems, ...rest, chains: doc.chains, wrongClocks: doc.wrongClocks }) as Record<string, unknown>;
    }
    case 'changes':
      return toWire({ ...head, systems: doc.systems, series: doc.series }) as Record<string, unknown>;
    case 'compare':
      return toWire({ ...head, systems: doc.systems, variantA: doc.variantA, variantB: doc.variantB, comparisons: doc.comparisons }) as Record<string, unknown>;
  }
}

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** The row kind of each document kind: a JSON line's `kind`. */
export const ROW_KIND = { overhead: 'overhead_row', changes: 'change_row', compare: 'compare_row' } as const;

function factColumns(s: SystemFacts | undefined): Row {
  const row: Row = {};
  for (const f of REPORT_FACTS) row[f] = s?.facts[f] ?? null;
  row.kvm = s?.kvm ?? null;
  row.container = s?.container ?? null;
  row.facts_time = s?.factsTime ?? null;
  return row;
}

const findSystem = (systems: readonly SystemFacts[], group: string, label: string) => systems.find((s) => s.group === group && s.label === label);

function overheadRows(doc: Extract<ReportDocument, { kind: 'overhead' }>): Row[] {
  const rows: Row[] = [];
  for (const s of doc.report.sections) {
    const refKey = s.reference ? JSON.stringify(s.reference) : null;
    for (const m of s.metrics)
      for (const r of m.results) {
        const c = r.vsReference;
        rows.push({
          group: s.group,
          test: s.test,
          profile: s.profile,
          threads: s.threads,
          metric: m.metric,
          direction: m.direction,
          system: r.system.label,
          agent: r.system.agent,
          host: r.system.host,
          role: r.system.role,
          virt: r.system.virt,
          variant: r.system.variant,
          is_baseline: refKey !== null && JSON.stringify(r.system) === refKey,
          run_id: r.runId,
          run_time: r.runTime,
          n: r.n,
          mean: r.mean,
          median: r.median,
          stddev: r.stddev,
          ci_low: r.ciLow,
          ci_high: r.ciHigh,
          baseline: s.reference?.label ?? null,
          baseline_run_id: c ? c.baselineRunId || null : null,
          ratio: c?.ratio ?? null,
          ratio_low: c?.ratioLow ?? null,
          ratio_high: c?.ratioHigh ?? null,
          overhead_pct: c?.overheadPct ?? null,
          overhead_low_pct: c?.overheadLowPct ?? null,
          overhead_high_pct: c?.overheadHighPct ?? null,
          verdict: c?.verdict ?? null,
          reason: c?.reason ?? null,
          margin_pct: c?.marginPct ?? null,
          margin_source: c?.margin.source ?? null,
          noise_floor_pct: c?.noiseFloorPct ?? null,
          p: c?.p ?? null,
          runs_guest: c?.runsCandidate ?? null,
          runs_baseline: c?.runsReference ?? null,
          more_runs: c?.moreRuns ?? null,
          ...factColumns(findSystem(doc.systems, s.group, r.system.label)),
        });
      }
  }
  return rows;
}

function changeRows(doc: Extract<ReportDocument, { kind: 'changes' }>): Row[] {
  return doc.series.flatMap((s): Row[] => {
    const head: Row = {
      group: s.key.group,
      agent: s.key.agent,
      test: s.key.test,
      profile: s.key.profile,
      threads: s.threads,
      metric: s.metric,
      baseline_agent: s.baselineAgent,
      runs: s.runs,
      status: s.tooShort ? 'too_short' : s.changes.length > 0 ? 'changed' : 'no_change',
      runs_needed: s.tooShort?.needed ?? null,
    };
    const facts = factColumns(findSystem(doc.systems, s.key.group, s.key.agent));
    const none = { time: null, kind: null, cause: null, before_pct: null, after_pct: null, change_pct: null, ci_low_pct: null, ci_high_pct: null };
    if (s.changes.length === 0) return [{ ...head, ...none, p_value: null, run_id: null, before_run_id: null, facts_detail: null, ...facts }];
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
    return s.changes.map((c) => ({
      ...head,
      time: c.time,
      kind: c.tags.kind ?? null,
      cause: c.tags.cause ?? null,
      before_pct: num(c.fields.before_pct),
      after_pct: num(c.fields.after_pct),
      change_pct: num(c.fields.change_pct),
      ci_low_pct: num(c.fields.ci_low_pct),
      ci_high_pct: num(c.fields.ci_high_pct),
      p_value: num(c.fields.p_value),
      run_id: str(c.fields.run_id),
      before_run_id: str(c.fields.before_run_id),
      facts_detail: str(c.fields.facts_detail),
      ...facts,
    }));
  });
}

function compareRows(doc: Extract<ReportDocument, { kind: 'compare' }>): Row[] {
  return doc.comparisons.map(({ test, comparison: v }) => ({
    test,
    metric: v.metric,
    direction: v.direction,
    virt: v.virt,
    profile: v.profile,
    threads: v.threads,
    variant_a: doc.variantA,
    variant_b: doc.variantB,
    mean_a: v.meanA,
    mean_b: v.meanB,
    runs_a: v.runsA,
    runs_b: v.runsB,
    hosts_a: v.hostsA.join(' '),
    hosts_b: v.hostsB.join(' '),
    paired: v.paired,
    pairs: v.pairs,
    change_pct: Number.isFinite(v.changePct) ? v.changePct : null,
    change_low_pct: v.comparison.overheadLowPct,
    change_high_pct: v.comparison.overheadHighPct,
    verdict: v.comparison.verdict,
    reason: v.comparison.reason,
    margin_pct: v.comparison.marginPct,
    margin_source: v.margin.source,
    p: v.comparison.p,
  }));
}

/** One row per number shown (CSV, JSON lines, markdown), the same columns in the same order on every row. */
export function flatRows(doc: ReportDocument): Row[] {
  switch (doc.kind) {
    case 'overhead':
      return overheadRows(doc);
    case 'changes':
      return changeRows(doc);
    case 'compare':
      return compareRows(doc);
  }
}
