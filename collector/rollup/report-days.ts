// The report's rollup: `sysbench_report_1d`, one point per series, thread count and UTC day of
// what `virt-overhead report` counts of the trials (issue 26: `report` over a year ≤ 2 s). Over a
// year InfluxDB scanned every trial once per count the report asked (trials per thread count,
// disturbed, judged, each noise signal, the newest and first trial of each series); from this
// rollup the report reads 365 small points per series instead, and only the period's partial
// first and last days from the trials (collector/report/day-reads.ts). Kept by the collector with
// the rollup engine (engine.ts), as `sysbench_1d` is; at the end of each start fill the time the
// fill began is written to `rollup_filled`, which tells a reader the rollup can be trusted. Its
// listener and fill also keep the weekly level made from these days (report-weeks.ts).
import type { Logger } from 'pino';
import { median } from '../../lib/stats/stats.js';
import type { RetentionSettings } from '../../schema/retention.js';
import { NOISE_LINE_FIELDS } from '../../schema/noise.js';
import type { RawQuery } from '../influx/http.js';
import { seriesKey } from '../influx/line.js';
import type { WriteListener } from '../listener.js';
import { sysbenchRows, type SysbenchRow } from '../overhead/rows.js';
import type { Row, Store, StorePoint } from '../store/store.js';
import type { RollupSpec } from './daily.js';
import { createRollupListener, fillRollup, touchedDays } from './engine.js';
import { fillReportWeeks, rollUpWeeksOf } from './report-weeks.js';

/** What the report reads of every trial: its state, thread count, judgement, clock flag and noise. */
export const REPORT_DAY_SOURCE: readonly string[] = ['ok', 'threads', 'disturbed', 'clock_skew_s', ...NOISE_LINE_FIELDS];

/**
 * The points of one UTC day (`dayNs`) from its trials (any series mixed, or only some of the day's
 * trials: the report rolls up a partial day the same way): one per series and thread count.
 * - `trials`: trials with `ok` (what the start fill compares with `count(ok)`);
 * - `ok`, `judged`, `disturbed`: successful trials, those the agent judged, those it judged disturbed;
 * - `skewed` (only where there are any): trials stored with a wrong clock (`clock_skew_s`), which the report leaves out;
 * - `first_ok_ns`, `last_ns`: the first successful trial's and the newest trial's time, in ns after the day's start (exact as floats);
 * - per noise-line signal `<f>_median`: the median (lib/stats) of the successful trials' values, where any recorded it.
 * Counts, first and newest and medians are over the trials with a right clock, as the report's.
 */
export function reportDayPoints(dayNs: bigint, rows: readonly Row[]): StorePoint[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const threads = r.fields.threads;
    const key = `${seriesKey('sysbench', r.tags)} ${typeof threads === 'number' ? threads : ''}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const points: StorePoint[] = [];
  for (const group of groups.values()) {
    const { tags, fields: first } = group[0]!;
    const series = sysbenchRows(group);
    const ok = series.filter((r) => r.ok);
    const fields: Record<string, number> = {
      trials: group.filter((r) => typeof r.fields.ok === 'boolean').length,
      ok: ok.length,
      judged: ok.filter((r) => r.disturbed !== null).length,
      disturbed: ok.filter((r) => r.disturbed === true).length,
    };
    if (series.length < group.length) fields.skewed = group.length - series.length;
    if (series.length) fields.last_ns = Number(series.reduce((m, r) => (r.timeNs > m ? r.timeNs : m), series[0]!.timeNs) - dayNs);
    if (ok.length) fields.first_ok_ns = Number(ok.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), ok[0]!.timeNs) - dayNs);
    for (const f of NOISE_LINE_FIELDS) {
      const v = ok.map((r: SysbenchRow) => r.noise[f]).filter((x): x is number => x !== undefined);
      if (v.length) fields[`${f}_median`] = median(v);
    }
    const threads = first.threads;
    points.push({
      measurement: 'sysbench_report_1d',
      tags: { ...tags, ...(typeof threads === 'number' ? { threads: String(threads) } : {}) },
      fields,
      timestamp: dayNs.toString(),
    });
  }
  return points;
}

export const REPORT_ROLLUP: RollupSpec = {
  measurement: 'sysbench_report_1d',
  source: 'sysbench',
  metrics: [],
  value: (m) => m,
  min: (m) => m,
  max: (m) => m,
  countField: 'trials',
  // Every trial has `ok` (the encoder writes it): the fill compares the day's count(ok) with Σtrials.
  counted: 'ok',
  lookBackMs: 0,
  custom: { read: REPORT_DAY_SOURCE, pointsOf: reportDayPoints },
};

/** The listener: after each batch the touched agents' days rolled up again, then their 7-day buckets (report-weeks.ts) from those days. */
export function reportRollupListener(store: Store): WriteListener {
  const days = createRollupListener(REPORT_ROLLUP, store);
  return {
    name: days.name,
    owed: true,
    async onResultsWritten(results) {
      await days.onResultsWritten!(results);
      await rollUpWeeksOf(store, touchedDays(results, REPORT_ROLLUP.lookBackMs));
    },
  };
}

/** The collector's report rollup: its listener, and its start fill, which ends by writing `rollup_filled`. */
export function reportRollup(o: { store: Store; query: RawQuery; retention: RetentionSettings; log: Logger }): { listener: WriteListener; fill(): void } {
  return {
    listener: reportRollupListener(o.store),
    fill() {
      fillReportRollup(o.store, o.query, o.retention).then(
        (days) => days > 0 && o.log.info({ days }, 'sysbench_report_1d brought up to date'),
        (err: Error) => o.log.warn({ error: err.message }, 'could not check sysbench_report_1d; `report` reads the trials until a start fills it'),
      );
    },
  };
}

/**
 * The start fill, then the marker: the time it began. Results written after that time are rolled
 * up by the listener (owed, so a crash leaves an `overhead_owed` marker over them); those before
 * it the fill compared day by day. Then the same for the 7-day level, from the days just filled,
 * and its marker: `weeks` added to the same point (a database whose days an earlier collector
 * filled has no weeks until this). Returns the days rolled up.
 */
export async function fillReportRollup(store: Store, query: RawQuery, retention: RetentionSettings, nowMs = Date.now()): Promise<number> {
  const at = (BigInt(nowMs) * 1_000_000n).toString();
  const days = await fillRollup(REPORT_ROLLUP, store, query, retention, nowMs);
  await store.write([{ measurement: 'rollup_filled', tags: { rollup: REPORT_ROLLUP.measurement }, fields: { days }, timestamp: at }]);
  // The marker's point again with `weeks` (the same series: no new series for the 7-day level).
  const weeks = await fillReportWeeks(store, query, retention, nowMs);
  await store.write([{ measurement: 'rollup_filled', tags: { rollup: REPORT_ROLLUP.measurement }, fields: { days, weeks }, timestamp: at }]);
  return days;
}
