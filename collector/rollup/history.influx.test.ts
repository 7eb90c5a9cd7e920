// sysbench_interval_1d is a shortcut and must give the slow path's answer (issue 26). Real
// influxd with the collector's retention policies; interval samples over three weeks written as
// the agents send them — days delivered late, a day replayed, a day with nothing, a run across
// midnight, a day whose samples had expired (only its 5-minute windows left, as the CQ made
// them) — and after each delivery the History rollup listener, as the collector calls it; then
// the start fill. Checked against the History panel as it was (downsampledSeries over
// sysbench_interval_5m), aggregated by InfluxDB over the same whole UTC days:
// - each daily History panel's mean, min and max equal to the bit; count equal; the sample
//   stddev from n, Σ, Σ² within 1e-9 relative of InfluxDB's stddev() over the windows' means;
// - a range starting mid-day shows its first day whole (the panel's whole-days filter);
// - the rollup the listener kept equals one made from scratch by the start fill, and a collector's
//   next start (the samples' backfill, then the fill) finds only the expired day to add.
// Mutation tried: touchedDays without the look-back day (a run across midnight): its first day
// keeps a stale rollup and the panel comparison fails.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/stats/random.js';
import { interpolate, type VariableValue } from '../../grafana/interpolate.js';
import { dailySeries, downsampledSeries } from '../../grafana/dashboards/live-run.js';
import { rawQuery } from '../influx/http.js';
import { setUpRetention } from '../influx/setup.js';
import type { WrittenResult } from '../listener.js';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { toLine, toWritten } from '../../test/support/sysbench-points.js';
import type { RetentionSettings } from '../../schema/retention.js';
import { DAY_MS } from './daily.js';
import { createHistoryRollup, fillHistoryRollup, influxDownsample } from './history.js';
import { backfillDownsampled } from '../influx/retention.js';
import { seriesRows } from '../../test/support/stored-points.js';

const DB = 'rollup';
const db = usePrivateInfluxd(DB);
// Samples kept forever here, so the test's fixed dates are not dropped by a 30-day policy.
const RETENTION: RetentionSettings = { samples: { name: 'samples', duration: 'INF' }, kept: { name: 'autogen', duration: 'INF' } };
const T0_MS = Date.UTC(2026, 0, 5);
const DAYS = 21;
const EMPTY_DAY = 10;
const LATE_DAY = 6;
const REPLAYED_DAY = 12;
const EXPIRED_DAY = 0;
const HOUR_MS = 3_600_000;
const ns = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;

type Json = Record<string, unknown>;

interface Delivery {
  samples: string[];
  windows: string[];
  results: WrittenResult[];
}

/**
 * Agents a1 (cpu and memory), a2 (cpu, variant b), n (cpu): 4 runs a day from 01:30, each
 * trial's samples every 20 s for 2–7 min (more than an hour after midnight, so a day is rolled
 * up by its own results, not by the next day's look-back).
 */
function day(d: number): Delivery[] {
  const out: Delivery = { samples: [], windows: [], results: [] };
  // The run across midnight arrives in a batch of its own, after the day's others.
  const late: Delivery = { samples: [], windows: [], results: [] };
  if (d === EMPTY_DAY) return [];
  const r = mulberry32(100 + d);
  const runs: Array<{ agent: string; test: string; variant: string; speed: number }> = [
    { agent: 'a1', test: 'cpu', variant: 'default', speed: 0.8 },
    { agent: 'a1', test: 'memory', variant: 'default', speed: 0.9 },
    { agent: 'a2', test: 'cpu', variant: 'b', speed: 0.7 },
    { agent: 'n', test: 'cpu', variant: 'default', speed: 1 },
  ];
  for (let k = 0; k < 4; k++)
    for (const [j, run] of runs.entries()) {
      // The day's last cpu run of a1 starts at 23:58 and ends after midnight (not into the empty day or past the last).
      const midnight = run.agent === 'a1' && run.test === 'cpu' && k === 3 && d !== EMPTY_DAY - 1 && d < DAYS - 1;
      const startMs = T0_MS + d * DAY_MS + (midnight ? 24 * 60 - 2 : k * 360 + 90 + 7 * j) * 60_000;
      const samples = 6 + Math.floor(r() * 15);
      const tags = `agent=${run.agent},container=none,group=g,host=${run.agent},kvm=absent,profile=seed,role=${run.agent === 'n' ? 'baseline' : 'guest'},sysbench_version=1.0.20,test=${run.test},variant=${run.variant},virt=${run.agent === 'n' ? 'none' : 'kvm'}`;
      const values = Array.from({ length: samples }, () => run.speed * 1000 * (1 + 0.05 * (r() - 0.5)));
      const lines = values.map((v, i) =>
        run.test === 'memory'
          ? `sysbench_interval,${tags} elapsed_s=${(i + 1) * 20},threads=1,mib_per_sec=${v},operations_per_sec=${v * 3} ${ns(startMs + (i + 1) * 20_000)}`
          : `sysbench_interval,${tags} elapsed_s=${(i + 1) * 20},threads=1,events_per_sec=${v},latency_pct_ms=${1000 / v} ${ns(startMs + (i + 1) * 20_000)}`,
      );
      const batch = midnight ? late : out;
      // The expired day's samples are gone; their windows stay, as the CQ wrote them (by InfluxDB below).
      if (d === EXPIRED_DAY) batch.windows.push(...lines);
      else batch.samples.push(...lines);
      batch.results.push(
        toWritten({
          agent: run.agent,
          group: 'g',
          role: run.agent === 'n' ? 'baseline' : 'guest',
          virt: run.agent === 'n' ? 'none' : 'kvm',
          variant: run.variant,
          test: run.test,
          runId: `${run.agent}-${run.test}-d${d}-r${k}`,
          trial: 1,
          timeNs: ns(startMs + (samples + 1) * 20_000),
          values: run.test === 'memory' ? { mib_per_sec: values[0]! } : { events_per_sec: values[0]! },
        }),
      );
    }
  return [out, late];
}

const q = (sql: string) => seriesRows(db.url, DB, sql, 'ms');

async function post(path: string, body: string): Promise<void> {
  const res = await fetch(`${db.url}${path}`, { method: 'POST', body });
  if (res.status !== 204) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

const VARS: Record<string, VariableValue> = Object.fromEntries(['group', 'agent', 'virt', 'test', 'variant'].map((v) => [v, { multi: false, value: '.*' }]));

/** A panel's points by line and time, its time grouping forced to `every`. */
async function panel(sql: string, fromMs: number, toMs: number, every = '1d'): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  for (const s of await q(interpolate(sql, { fromMs, toMs }, VARS).replace(/GROUP BY time\([^)]*\)/, `GROUP BY time(${every})`)))
    for (const row of s.rows) out.set(JSON.stringify([s.tags.agent, s.tags.test, s.tags.variant, row.time]), row);
  return out;
}

const FIELDS = ['events_per_sec', 'latency_pct_ms', 'mib_per_sec', 'operations_per_sec', 'threads'] as const;
const START = T0_MS;
const END = T0_MS + DAYS * DAY_MS;

describe('sysbench_interval_1d gives the History panels’ slow answer (real influxd)', () => {
  it('kept by the listener through late, replayed, empty and expired days; the start fill adds only the expired day', async () => {
    const query = rawQuery({ url: db.url, database: DB });
    await (
      await setUpRetention(query, DB, RETENTION, pino({ level: 'silent' }))
    ).backfill;
    const listener = createHistoryRollup({ store: db.store, downsample: influxDownsample(query, DB, RETENTION) });
    const deliver = async (d: Delivery) => {
      if (d.samples.length) await post(`/write?db=${DB}&rp=samples&precision=ns`, d.samples.join('\n'));
      if (d.results.length) await post(`/write?db=${DB}&precision=ns`, d.results.map(toLine).join('\n'));
      await listener.onResultsWritten!(d.results);
    };
    // The expired day: its samples into a scratch measurement, InfluxDB's 5-minute SELECT of them into the windows, the scratch dropped.
    const expired = day(EXPIRED_DAY).flatMap((b) => b.windows);
    await post(`/write?db=${DB}&precision=ns`, expired.map((l) => l.replace(/^sysbench_interval,/, 'scratch,')).join('\n'));
    const agg = FIELDS.flatMap((f) => ['mean', 'min', 'max'].map((a) => `${a}("${f}") AS "${f}_${a}"`)).join(', ');
    const into = await q(`SELECT ${agg}, count("elapsed_s") * 1.0 AS "samples" INTO "sysbench_interval_5m" FROM "scratch" GROUP BY time(5m), *`);
    expect(into.length).toBe(1);
    await q('DROP MEASUREMENT "scratch"');

    for (let d = 1; d < DAYS; d++) {
      if (d === LATE_DAY) continue;
      for (const b of day(d)) await deliver(b);
      if (d === LATE_DAY + 5) for (const b of day(LATE_DAY)) await deliver(b);
    }
    for (const b of day(REPLAYED_DAY)) await deliver(b);

    // A collector's next start: every stored sample downsampled again (nothing the listener missed
    // may be added here), then the start fill. Only the expired day had windows the rollup did not
    // count; a second fill finds nothing.
    const windows = await q('SELECT count("samples") FROM "sysbench_interval_5m"');
    await backfillDownsampled(query, DB, RETENTION, END);
    expect(await q('SELECT count("samples") FROM "sysbench_interval_5m"')).toEqual(windows);
    expect(await fillHistoryRollup(db.store, query, RETENTION, END)).toBe(1);
    expect(await fillHistoryRollup(db.store, query, RETENTION, END)).toBe(0);
  });

  it('each daily History panel equals the 5-minute panel aggregated by InfluxDB over the same whole days', async () => {
    let compared = 0;
    for (const f of FIELDS) {
      const fast = await panel(dailySeries(f).toString(), START, END - 1);
      const slow = await panel(downsampledSeries(f).toString(), START, END - 1);
      expect([...fast.keys()].sort(), f).toEqual([...slow.keys()].sort());
      for (const [k, row] of slow) expect(fast.get(k), `${f} ${k}`).toEqual(row);
      compared += slow.size;
    }
    // a1 cpu, a2 cpu, n cpu, a1 memory: 20 days each (the empty one none) for cpu fields; memory's fields for a1 only.
    expect(compared).toBe(3 * 20 * 2 + 20 * 2 + 4 * 20);
    // The empty day: no point in either.
    const emptyMs = T0_MS + EMPTY_DAY * DAY_MS;
    expect([...(await panel(dailySeries('events_per_sec').toString(), START, END - 1)).keys()].filter((k) => k.includes(`,${emptyMs}]`))).toEqual([]);
  });

  it('count and sample stddev from n, Σ and Σ² equal InfluxDB’s over the windows’ means (stddev within 1e-9)', async () => {
    const where = `time >= ${ns(START)} AND time < ${ns(END)}`;
    for (const f of FIELDS) {
      const rolled = await q(
        `SELECT sum("${f}_n") AS n, sum("${f}_sum") AS s, sum("${f}_sq") AS sq FROM "sysbench_interval_1d" WHERE ${where} GROUP BY time(7d), "agent", "test" fill(none)`,
      );
      const raw = await q(
        `SELECT count("${f}_mean") AS n, stddev("${f}_mean") AS sd FROM "sysbench_interval_5m" WHERE ${where} GROUP BY time(7d), "agent", "test" fill(none)`,
      );
      const rawBy = new Map(raw.flatMap((s) => s.rows.map((r) => [JSON.stringify([s.tags, r.time]), r])));
      expect(rolled.flatMap((s) => s.rows).length).toBe(rawBy.size);
      for (const s of rolled)
        for (const r of s.rows) {
          const want = rawBy.get(JSON.stringify([s.tags, r.time]))!;
          const [n, sum, sq] = [r.n, r.s, r.sq] as number[];
          expect(n).toBe(want.n);
          const variance = (sq! - (sum! * sum!) / n!) / (n! - 1);
          // A constant metric (threads): stddev 0, and the variance cancels to about 1e-16 of the mean².
          if (want.sd === 0) expect(Math.abs(variance), `${f} ${JSON.stringify(s.tags)}`).toBeLessThan(1e-12 * (sum! / n!) ** 2);
          else expect(Math.abs(Math.sqrt(variance) - (want.sd as number)) / (want.sd as number), `${f} ${JSON.stringify(s.tags)}`).toBeLessThan(1e-9);
        }
    }
  });

  it('a range starting mid-day shows its first and last days whole', async () => {
    const from = T0_MS + 3 * DAY_MS + 12 * HOUR_MS;
    const to = T0_MS + 9 * DAY_MS + 6 * HOUR_MS;
    const fast = await panel(dailySeries('events_per_sec').toString(), from, to);
    const slow = await panel(downsampledSeries('events_per_sec').toString(), T0_MS + 3 * DAY_MS, T0_MS + 10 * DAY_MS - 1);
    expect(new Set([...fast.values()].map((r) => r.time))).toEqual(new Set(Array.from({ length: 7 }, (_, i) => T0_MS + (3 + i) * DAY_MS)));
    expect(fast).toEqual(slow);
  });

  it('the rollup the listener kept is the one the start fill makes from scratch', async () => {
    const kept = await q('SELECT * FROM "sysbench_interval_1d" GROUP BY *');
    await q('DROP MEASUREMENT "sysbench_interval_1d"');
    expect(await fillHistoryRollup(db.store, rawQuery({ url: db.url, database: DB }), RETENTION, END)).toBe(DAYS - 1);
    expect(await q('SELECT * FROM "sysbench_interval_1d" GROUP BY *')).toEqual(kept);
    expect(kept.flatMap((s) => s.rows).length).toBe(4 * (DAYS - 1));
    expect(kept.every((s) => s.rows.every((r) => (r.time as number) % DAY_MS === 0))).toBe(true);
  });

  it('a failed downsampling is told and the day still rolled up from the stored windows; without a handler it fails the batch', async () => {
    await q('DROP MEASUREMENT "sysbench_interval_1d"');
    const results = day(3).flatMap((b) => b.results);
    const noInto = async () => {
      throw new Error('no SELECT INTO here');
    };
    const errors: string[] = [];
    await createHistoryRollup({ store: db.store, downsample: noInto, onDownsampleError: (e) => errors.push(e.message) }).onResultsWritten!(results);
    expect(errors[0]).toBe('no SELECT INTO here');
    const day3 = T0_MS + 3 * DAY_MS;
    expect((await q(`SELECT "windows" FROM "sysbench_interval_1d" WHERE time = ${ns(day3)} GROUP BY *`)).length).toBe(4);
    await expect(createHistoryRollup({ store: db.store, downsample: noInto }).onResultsWritten!(results)).rejects.toThrow('no SELECT INTO here');
  });
});
