// What the report reads of `sysbench`, in two requests (issue 26): first the whole period thin —
// each trial's run, threads, state, flags and noise, which decide the sections, the systems, the
// run each shows and the noise lines (layout.ts) — then, in one request, the metrics of only the
// trials the sections compute with: each shown run and, for each guest, its own look-back
// (HISTORY_MS) and the reference baseline's trials in the window around its run. Over a year of
// 6-hourly runs that is the metrics of about 15 days instead of 365. report-reads.influx.test.ts
// holds the report built from these reads equal to the one built from `SELECT *` of the period.
import { RESOLUTION_SUFFIX } from '../../schema/influx.js';
import { NOISE_BOUNDS } from '../../schema/noise.js';
import type { TestName } from '../../schema/test-types.js';
import { KEY_METRICS, OVERHEAD_METRICS } from '../../schema/metrics.js';
import { HISTORY_MS } from '../overhead/compute.js';
import { sysbenchRows, type SysbenchRow } from '../overhead/rows.js';
import { comparable } from '../overhead/disturbed.js';
import { seriesKey } from '../influx/line.js';
import type { Selection, Store, TagMatch } from '../store/store.js';
import { comparedSpans, layoutSections, type SectionLayout } from './layout.js';

/** A trial's run, threads, state and clock flag: which run and section it is in, and whether it counts. */
const TRIAL_FIELDS: readonly string[] = ['run_id', 'threads', 'ok', 'disturbed', 'clock_skew_s'];

/** Those and the noise: what the report needs of every trial of the period when it reads them all. */
const THIN_FIELDS: readonly string[] = [...TRIAL_FIELDS, ...Object.keys(NOISE_BOUNDS)];

/** The metrics a test's sections show, with their printing steps. */
function metricFields(metrics: 'key' | 'all', test: TestName): string[] {
  return (metrics === 'all' ? OVERHEAD_METRICS : KEY_METRICS[test]).flatMap((m) => [m, `${m}${RESOLUTION_SUFFIX}`]);
}

/**
 * The fields the report reads of a test's trial (`test` undefined: the thin fields alone). Not
 * the whole point: `SELECT *` of a year (ids, hashes, every other metric) was most of the bytes
 * InfluxDB sent and the garbage the report made; every test's metrics for every trial, half of them.
 */
export function reportFields(metrics: 'key' | 'all', test: TestName | undefined): string[] {
  return [...THIN_FIELDS, ...(test === undefined ? [] : metricFields(metrics, test))];
}

/** A test's trials with their metrics but no noise (summary-reads.ts: the noise lines come from aggregates). */
export function trialFields(metrics: 'key' | 'all', test: TestName): string[] {
  return [...TRIAL_FIELDS, ...metricFields(metrics, test)];
}

/** Trials of one test and agent whose metrics a section uses: from..to (ns, both included). */
export interface MetricSpan {
  test: TestName;
  agent: string;
  from: bigint;
  to: bigint;
}

/** Each shown run, and for each guest compared with a reference its look-back and the reference's window (build.ts reads the same). */
export function metricSpans(layouts: readonly SectionLayout[], windowNs: bigint): MetricSpan[] {
  const historyNs = BigInt(HISTORY_MS) * 1_000_000n;
  const out: MetricSpan[] = [];
  for (const { test, reference, shown } of layouts)
    for (const { e, run } of shown) {
      const c = comparedSpans(run, windowNs);
      out.push({ test, agent: e.system.agent, from: c.start, to: c.end });
      if (reference === null || e.system.role !== 'guest') continue;
      out.push({ test, agent: e.system.agent, from: c.start - historyNs, to: c.start });
      out.push({ test, agent: reference.system.agent, from: c.reference[0], to: c.reference[1] });
    }
  return out;
}

/** A test's spans joined where they overlap: one select each, naming the agents it serves. */
export function joinSpans(spans: readonly MetricSpan[]): Array<{ test: TestName; from: bigint; to: bigint; agents: Set<string> }> {
  const sorted = [...spans].sort((a, b) => (a.test < b.test ? -1 : a.test > b.test ? 1 : a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: Array<{ test: TestName; from: bigint; to: bigint; agents: Set<string> }> = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && last.test === s.test && s.from <= last.to) {
      if (s.to > last.to) last.to = s.to;
      last.agents.add(s.agent);
    } else out.push({ test: s.test, from: s.from, to: s.to, agents: new Set([s.agent]) });
  }
  return out;
}

/** The thin read in pieces of this many days, one request each: a year of 200 guests (885 000 trials) in one request outlasted the store's 30 s request limit here. */
const THIN_CHUNK_NS = 30n * 86_400_000_000_000n;

/** Every trial from..to (ns, both included) with the thin fields, oldest first (the pieces are consecutive). */
async function readThin(store: Store, from: bigint, to: bigint, tags: Record<string, TagMatch>): Promise<SysbenchRow[]> {
  let out: SysbenchRow[] = [];
  for (let a = from; a <= to; a += THIN_CHUNK_NS) {
    const b = a + THIN_CHUNK_NS - 1n < to ? a + THIN_CHUNK_NS - 1n : to;
    const rows = sysbenchRows(await store.select({ measurement: 'sysbench', where: { from: a, to: b, tags }, fields: THIN_FIELDS }));
    out = out.length === 0 ? rows : out.concat(rows);
  }
  return out;
}

export interface ReadOptions {
  sinceNs: bigint;
  /** Nothing after it: a result stamped in the future (a clock ahead) is nobody's latest. */
  nowNs: bigint;
  group?: string;
  metrics: 'key' | 'all';
  windowNs: bigint;
  excludeDisturbed: boolean;
}

/**
 * The rows the report is built from: every trial of the period (oldest first, equal times by
 * series, as one select answers), with its metrics where a section uses them, and before the
 * period the trials the sections' look-back and windows reach, with every field the report reads.
 */
export async function readReportRows(store: Store, o: ReadOptions): Promise<SysbenchRow[]> {
  const scope: Record<string, TagMatch> = o.group !== undefined ? { group: o.group } : {};
  const thin = await readThin(store, o.sinceNs, o.nowNs, scope);
  const layouts = layoutSections(comparable(thin, o.excludeDisturbed), o.sinceNs);
  const agentsOf = new Map<string, Set<string>>();
  for (const r of thin) agentsOf.set(r.tags.test!, (agentsOf.get(r.tags.test!) ?? new Set()).add(r.tags.agent!));
  const before: Selection[] = [];
  const during: Selection[] = [];
  for (const j of joinSpans(metricSpans(layouts, o.windowNs))) {
    // Every agent of the test served: no agent list (a thousand names in the query for nothing).
    const all = [...(agentsOf.get(j.test) ?? [])].every((a) => j.agents.has(a));
    const tags = { ...scope, test: j.test, ...(all ? {} : { agent: [...j.agents].sort() }) };
    const to = j.to < o.nowNs ? j.to : o.nowNs;
    if (j.from < o.sinceNs)
      before.push({
        measurement: 'sysbench',
        where: { tags, from: j.from, to: to < o.sinceNs ? to : o.sinceNs - 1n },
        fields: reportFields(o.metrics, j.test),
      });
    if (to >= o.sinceNs)
      during.push({ measurement: 'sysbench', where: { tags, from: j.from > o.sinceNs ? j.from : o.sinceNs, to }, fields: metricFields(o.metrics, j.test) });
  }
  if (before.length + during.length === 0) return thin;
  const parts = await store.selectMany([...before, ...during]);
  // Typed rows of one select share a tags object per series: its key is made once.
  const keys = new Map<object, string>();
  const keyOf = (r: SysbenchRow) => keys.get(r.tags) ?? keys.set(r.tags, seriesKey('sysbench', r.tags)).get(r.tags)!;
  const earlier = parts
    .slice(0, before.length)
    .flatMap((p) => sysbenchRows(p))
    .sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  // Looked up per series, then by time: a string key per trial was a second of a year's report.
  const measured = new Map<string, Map<bigint, SysbenchRow>>();
  for (const p of parts.slice(before.length))
    for (const r of sysbenchRows(p)) {
      const series = measured.get(keyOf(r)) ?? measured.set(keyOf(r), new Map()).get(keyOf(r))!;
      series.set(r.timeNs, r);
    }
  const period = thin.map((r) => {
    const m = measured.get(keyOf(r))?.get(r.timeNs);
    return m ? { ...r, values: m.values, resolution: m.resolution } : r;
  });
  return earlier.length ? [...earlier, ...period] : period;
}
