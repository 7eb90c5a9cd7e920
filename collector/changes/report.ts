// `virt-overhead report --changes` and the change section of the HTML report: every overhead
// series of the guests in scope, analysed by the same code the collector runs, listing its
// change points (or why it has none: too few runs).
import type { InfluxDB } from 'influx';
import { eq } from '../../schema/influxql.js';
import { inert } from '../../lib/inert.js';
import { MEASUREMENTS } from '../../schema/influx.js';
import type { StoredRow } from '../influx/stored.js';
import type { Store } from '../store/store.js';
import { createChangeDetector, type ChangeDetectionOptions, type ChangeRecord, type GuestTestKey } from './index.js';
import { guestWhere } from './series.js';

export interface ChangeReportSeries {
  key: GuestTestKey;
  metric: string;
  baselineAgent: string;
  threads: number | null;
  runs: number;
  /** Set when the series is too short to decide. */
  tooShort?: { needed: number };
  changes: Array<{ time: string } & Omit<ChangeRecord, 'timeNs'>>;
}

export interface ChangeReportOptions {
  influx: InfluxDB;
  database: string;
  /** The agents' facts, read for the window analysed (slow path). */
  store: Store;
  group?: string;
  /** Only changes at or after this time are listed (the whole series is analysed). */
  sinceMs: number;
  /** Only these metrics (default: all). */
  metrics?: readonly string[];
  detection?: ChangeDetectionOptions;
  /** Analyse every series again here instead of reading what the collector stored (the slow path). */
  recompute?: boolean;
}

/** The guest × test × profile keys with overhead points in the period. */
async function guestKeys(influx: InfluxDB, database: string, group: string | undefined, sinceMs: number): Promise<GuestTestKey[]> {
  const where = [`time >= ${BigInt(Math.floor(sinceMs)) * 1_000_000n}`, ...(group !== undefined ? [eq('group', group)] : [])].join(' AND ');
  const res = (await influx.query(`SELECT last("overhead_pct") FROM "overhead" WHERE ${where} GROUP BY "group", "agent", "test", "profile"`, {
    database,
  })) as unknown as { groups(): Array<{ tags: Record<string, string> }> };
  return res.groups().map((g) => ({ group: g.tags.group ?? '', agent: g.tags.agent ?? '', test: g.tags.test ?? '', profile: g.tags.profile ?? '' }));
}

const keyOf = (k: GuestTestKey) => JSON.stringify([k.group, k.agent, k.test, k.profile]);
const byKey = (a: GuestTestKey, b: GuestTestKey) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);
const bySeries = (a: ChangeReportSeries, b: ChangeReportSeries) => byKey(a.key, b.key) || (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1);

/** The slow path: the guests' series read and analysed here, by the code the collector runs. */
async function analysed(opts: ChangeReportOptions, keys: readonly GuestTestKey[]): Promise<ChangeReportSeries[]> {
  const detector = createChangeDetector({
    store: opts.store,
    ...(opts.detection ? { detection: opts.detection } : {}),
  });
  const sinceNs = BigInt(Math.floor(opts.sinceMs)) * 1_000_000n;
  const out: ChangeReportSeries[] = [];
  for (const key of keys) {
    for (const a of await detector.analyse(key)) {
      if (opts.metrics && !opts.metrics.includes(a.series.metric)) continue;
      const base = { key, metric: a.series.metric, baselineAgent: a.series.baselineAgent, threads: a.series.threads, runs: a.verdict.runs };
      if (a.verdict.status === 'too-short') {
        out.push({ ...base, tooShort: { needed: a.verdict.needed }, changes: [] });
        continue;
      }
      const changes = a.verdict.changes
        .filter((c) => c.timeNs >= sinceNs)
        .map(({ timeNs, ...c }) => ({ time: new Date(Number(timeNs / 1_000_000n)).toISOString(), ...c }));
      out.push({ ...base, changes });
    }
  }
  return out;
}

type Row = StoredRow & { time: { getNanoTime(): string } };
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The fast path (issue 26): what the collector stored at its last analysis of each series
 * (`overhead_series`, `overhead_change`), two queries instead of analysing a year of every series.
 * Guests with overhead but no stored verdict (written before the collector stored them) are
 * analysed as by the slow path. test/report-changes-stored.test.ts holds the two paths equal.
 */
async function stored(opts: ChangeReportOptions): Promise<ChangeReportSeries[]> {
  const { influx, database } = opts;
  const sinceNs = BigInt(Math.floor(opts.sinceMs)) * 1_000_000n;
  const inGroup = opts.group !== undefined ? ` WHERE ${eq('group', opts.group)}` : '';
  const [verdicts, changes, series] = (await influx.query(
    [
      `SELECT * FROM "overhead_series"${inGroup}`,
      `SELECT * FROM "overhead_change" WHERE time >= ${sinceNs}${opts.group !== undefined ? ` AND ${eq('group', opts.group)}` : ''}`,
      `SHOW SERIES FROM "overhead"${inGroup}`,
    ],
    { database },
  )) as unknown as [Row[], Row[], Array<{ key: string }>];
  const seriesKey = (r: StoredRow) =>
    JSON.stringify([str(r.group), str(r.agent), str(r.test), str(r.profile), str(r.metric), str(r.baseline_agent), r.threads ?? null]);
  const changesOf = new Map<string, Row[]>();
  for (const c of changes) changesOf.set(seriesKey(c), [...(changesOf.get(seriesKey(c)) ?? []), c]);
  // A guest's test is listed when any of its series has a run in the period (as the slow path lists it).
  const recent = new Set(verdicts.filter((v) => BigInt(str(v.last_ns) || '0') >= sinceNs).map((v) => keyOf(guestOf(v))));
  const out: ChangeReportSeries[] = [];
  for (const v of verdicts) {
    const key = guestOf(v);
    if (!recent.has(keyOf(key)) || (opts.metrics && !opts.metrics.includes(str(v.metric)))) continue;
    const base = {
      key,
      metric: str(v.metric),
      baselineAgent: str(v.baseline_agent),
      threads: typeof v.threads === 'number' ? v.threads : null,
      runs: Number(v.runs),
    };
    if (v.status === 'too-short') {
      out.push({ ...base, tooShort: { needed: Number(v.needed) }, changes: [] });
      continue;
    }
    const list = (changesOf.get(seriesKey(v)) ?? []).sort((a, b) => (BigInt(a.time.getNanoTime()) < BigInt(b.time.getNanoTime()) ? -1 : 1));
    out.push({ ...base, changes: list.map(changeOf) });
  }
  // Guests with overhead the collector has not analysed since it stores verdicts (the index says
  // which series exist): those with a point in the period are analysed here.
  const known = new Set(verdicts.map((v) => keyOf(guestOf(v))));
  const missing = new Map<string, GuestTestKey>();
  for (const { key } of series) {
    const g = guestOf(seriesTags(key));
    if (!known.has(keyOf(g))) missing.set(keyOf(g), g);
  }
  const due: GuestTestKey[] = [];
  for (const g of missing.values()) {
    const n = (await influx.query(`SELECT count("overhead_pct") FROM "overhead" WHERE ${guestWhere(g)} AND time >= ${sinceNs}`, {
      database,
    })) as unknown as unknown[];
    if (n.length > 0) due.push(g);
  }
  return [...out, ...(due.length ? await analysed(opts, due) : [])].sort(bySeries);
}

/** The tags of a series key as SHOW SERIES prints it (`overhead,agent=a\,b,group=g`). */
function seriesTags(key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of key.split(/(?<!\\),/).slice(1)) {
    const at = pair.search(/(?<!\\)=/);
    out[unescapeTag(pair.slice(0, at))] = unescapeTag(pair.slice(at + 1));
  }
  return out;
}

const unescapeTag = (s: string) => s.replace(/\\([,= \\])/g, '$1');

function guestOf(r: StoredRow): GuestTestKey {
  return { group: str(r.group), agent: str(r.agent), test: str(r.test), profile: str(r.profile) };
}

/** A stored change point as the analysis returns it: every tag (absent ones ''), its fields but the series' threads. */
function changeOf(r: Row): ChangeReportSeries['changes'][number] {
  const tags: Record<string, string> = {};
  for (const t of MEASUREMENTS.overhead_change.tags) tags[t] = str(r[t]);
  const fields: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(r)) if (k !== 'time' && k !== 'threads' && !(k in tags) && v !== null) fields[k] = v as number | string | boolean;
  return { time: new Date(Number(BigInt(r.time.getNanoTime()) / 1_000_000n)).toISOString(), tags, fields };
}

export async function changesReport(opts: ChangeReportOptions): Promise<ChangeReportSeries[]> {
  if (!opts.recompute) return stored(opts);
  return (await analysed(opts, await guestKeys(opts.influx, opts.database, opts.group, opts.sinceMs))).sort(bySeries);
}

const f1 = (v: unknown) => (typeof v === 'number' ? (v >= 0 ? '+' : '') + v.toFixed(1) : '?');

// Stored strings (tags, run ids, facts an agent reported) are made inert one by one
// (lib/inert.ts): a line break in one of them cannot forge a line of the report.
export function seriesTitle(s: ChangeReportSeries): string {
  const t = `${s.key.group} · ${s.key.agent} · ${s.key.test} (${s.key.profile}${s.threads !== null ? `, ${s.threads} threads` : ''}) · ${s.metric} vs ${s.baselineAgent}`;
  return inert(t);
}

/** One line per change: when, what, how sure, what changed with it. */
export function describeChange(c: ChangeReportSeries['changes'][number]): string {
  const f = c.fields;
  const ci = typeof f.ci_low_pct === 'number' ? ` [${f1(f.ci_low_pct)}, ${f1(f.ci_high_pct)}]` : '';
  const cause = c.tags.cause === 'baseline' ? ' — the BASELINE changed at the same time (a baseline change, not a guest one)' : '';
  const facts = f.facts_detail ? `; changed with it: ${f.facts_detail}` : '';
  const p = typeof f.p_value === 'number' ? f.p_value.toExponential(1) : '?';
  if (f.shape === 'drift') {
    const end = f.end_run_id === undefined ? 'still drifting' : `until run ${f.end_run_id}`;
    const slope = typeof f.slope_pct_per_day === 'number' ? `, ${(f.slope_pct_per_day >= 0 ? '+' : '') + f.slope_pct_per_day.toFixed(2)} points a day` : '';
    return inert(
      `${c.time}  drift (${c.tags.kind}): overhead ${f1(f.before_pct)} % → ${f1(f.after_pct)} % over ${f.drift_runs} runs (${f1(f.change_pct)} points${slope}, p=${p}), from run ${f.run_id} ${end}${cause}${facts}`,
    );
  }
  return inert(
    `${c.time}  ${c.tags.kind}: overhead ${f1(f.before_pct)} % → ${f1(f.after_pct)} % (${f1(f.change_pct)} points${ci}, p=${p}), runs ${f.before_run_id} → ${f.run_id}${cause}${facts}`,
  );
}

export function formatChangesReport(series: readonly ChangeReportSeries[]): string {
  if (series.length === 0) return 'no overhead series in this period\n';
  const lines: string[] = [];
  for (const s of series) {
    if (s.tooShort) lines.push(`${seriesTitle(s)}: too short to decide (${s.runs} runs, needs ${s.tooShort.needed})`);
    else if (s.changes.length === 0) lines.push(`${seriesTitle(s)}: no change in ${s.runs} runs`);
    else {
      lines.push(`${seriesTitle(s)}: ${s.changes.length} change${s.changes.length > 1 ? 's' : ''} in ${s.runs} runs`);
      for (const c of s.changes) lines.push('  ' + describeChange(c));
    }
  }
  return lines.join('\n') + '\n';
}
