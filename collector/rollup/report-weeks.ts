// The report rollup's weekly level: `sysbench_report_7d`, one point per series, thread count and
// 7-day bucket (InfluxDB's GROUP BY time(7d), counted from the epoch: Thursday 00:00 UTC), made
// from that bucket's points of `sysbench_report_1d` (report-days.ts). Issue 26: over a year of
// 1 000 guests InfluxDB spent ~5 s of CPU answering the days' noise medians, a row per series and
// day; the report reads its whole weeks here instead, a row per series and week. Exact: the counts
// are summed, the first and newest trial's times kept, and the days' medians kept as a list (the
// report takes the median of the days' medians, so it needs every one, not a summary of them).
// Kept by the report rollup's listener right after the days a batch touched, and filled at start
// after the days (each bucket whose Σ`trials` differs from its days').
import { measurementRef, type RetentionSettings } from '../../schema/retention.js';
import { NOISE_LINE_FIELDS } from '../../schema/noise.js';
import type { RawQuery } from '../influx/http.js';
import { seriesKey } from '../influx/line.js';
import type { Row, Store, StorePoint } from '../store/store.js';
import { DAY_NS } from './daily.js';
import { bucketValues, rollUpDiffering } from './engine.js';

export const WEEK_NS = 7n * DAY_NS;

/** The start of the 7-day bucket holding `ns` (InfluxDB's GROUP BY time(7d) buckets). */
export function weekOf(ns: bigint): bigint {
  const w = (ns / WEEK_NS) * WEEK_NS;
  return w > ns ? w - WEEK_NS : w;
}

/** A week's days' medians as one string field: each the shortest text that reads back as the same double (−0 kept). */
export function medianList(values: readonly number[]): string {
  return values.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(',');
}

/**
 * The numbers of a medianList, in its order: JSON's number syntax is the list's, and its parse
 * gives the same doubles as Number() (correctly rounded, -0 kept) at about half the CPU of a
 * split and a Number() each (a year of 1 010 agents: 212 000 lists of 7).
 */
export function medianValues(list: string): number[] {
  return list === '' ? [] : (JSON.parse(`[${list}]`) as number[]);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * The points of one 7-day bucket (`weekNs`) from its days' `sysbench_report_1d` rows (any series
 * mixed): one per series and thread count, with the same fields summed (`trials`, `ok`, `judged`,
 * `disturbed`, `skewed` where any), `first_ok_ns` and `last_ns` in ns after the bucket's start
 * (below 2^53: exact), and per noise-line signal `<f>_medians`, the days' medians oldest day first.
 */
export function reportWeekPoints(weekNs: bigint, days: readonly Row[]): StorePoint[] {
  const groups = new Map<string, Row[]>();
  for (const r of days) {
    if (r.timeNs < weekNs || r.timeNs >= weekNs + WEEK_NS) throw new Error(`week ${weekNs}: a day at ${r.timeNs} is outside it`);
    const key = seriesKey('sysbench_report_1d', r.tags);
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const points: StorePoint[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
    const fields: Record<string, number | string> = { trials: 0, ok: 0, judged: 0, disturbed: 0 };
    let skewed = 0;
    let first: bigint | null = null;
    let last: bigint | null = null;
    const medians = NOISE_LINE_FIELDS.map((): number[] => []);
    for (const { timeNs, fields: f } of group) {
      for (const c of ['trials', 'ok', 'judged', 'disturbed'] as const) fields[c] = (fields[c] as number) + (num(f[c]) ?? 0);
      skewed += num(f.skewed) ?? 0;
      const firstOk = num(f.first_ok_ns);
      if (firstOk !== undefined && first === null) first = timeNs - weekNs + BigInt(firstOk);
      const newest = num(f.last_ns);
      if (newest !== undefined) last = timeNs - weekNs + BigInt(newest);
      NOISE_LINE_FIELDS.forEach((s, i) => {
        const m = num(f[`${s}_median`]);
        if (m !== undefined) medians[i]!.push(m);
      });
    }
    if (skewed > 0) fields.skewed = skewed;
    if (first !== null) fields.first_ok_ns = Number(first);
    if (last !== null) fields.last_ns = Number(last);
    NOISE_LINE_FIELDS.forEach((s, i) => {
      if (medians[i]!.length) fields[`${s}_medians`] = medianList(medians[i]!);
    });
    points.push({ measurement: 'sysbench_report_7d', tags: group[0]!.tags, fields, timestamp: weekNs.toString() });
  }
  return points;
}

/** Rolls up one 7-day bucket of the agents given (every agent when none) from its days. Returns points written. */
export async function rollUpWeek(store: Store, weekNs: bigint, agents?: readonly string[]): Promise<number> {
  const days = await store.select({
    measurement: 'sysbench_report_1d',
    where: { ...(agents ? { tags: { agent: agents } } : {}), from: weekNs, to: weekNs + WEEK_NS - 1n },
  });
  const points = reportWeekPoints(weekNs, days);
  for (let i = 0; i < points.length; i += 5000) await store.write(points.slice(i, i + 5000));
  return points.length;
}

/** Rolls up the buckets holding the days given, for the agents given per day, oldest first. */
export async function rollUpWeeksOf(store: Store, days: ReadonlyMap<bigint, ReadonlySet<string>>): Promise<void> {
  const weeks = new Map<bigint, Set<string>>();
  for (const [day, agents] of days) {
    const w = weekOf(day);
    const set = weeks.get(w) ?? weeks.set(w, new Set()).get(w)!;
    for (const a of agents) set.add(a);
  }
  for (const [w, agents] of [...weeks].sort(([a], [b]) => (a < b ? -1 : 1))) await rollUpWeek(store, w, [...agents].sort());
}

/**
 * At start, after the days' fill: rolls up every bucket whose Σ`trials` differs from its days'
 * (a database from before this level, a crash between a day's rollup and its week's). Returns the buckets rolled up.
 */
export async function fillReportWeeks(store: Store, query: RawQuery, retention: RetentionSettings, nowMs: number): Promise<number> {
  const until = `time < ${(weekOf(BigInt(nowMs) * 1_000_000n) + 2n * WEEK_NS).toString()}`;
  const sums = (m: 'sysbench_report_1d' | 'sysbench_report_7d') =>
    `SELECT sum("trials") FROM ${measurementRef(m, retention)} WHERE time >= 0 AND ${until} GROUP BY time(7d) fill(none)`;
  const [days, weeks] = await bucketValues(query, [sums('sysbench_report_1d'), sums('sysbench_report_7d')], 'counting the weeks of sysbench_report_7d');
  return rollUpDiffering(days!, weeks!, (week) => rollUpWeek(store, week));
}
