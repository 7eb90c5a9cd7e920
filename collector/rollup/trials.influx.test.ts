// sysbench_1d is a shortcut and must give the slow path's answer (issue 26). Real influxd;
// three weeks of trials of five agents written as the agents send them — a day delivered five
// days late, a day replayed, a day with nothing, a run across midnight, failed trials (values a
// hundred times off, so counting one shows), two agents pooled in one variant, a day written
// before the rollup existed — with the trials rollup listener after each delivery, as the
// collector calls it; then the start fill. The Variants "mean and 95 % CI" table (variantStats,
// read from the rollup) is held to the same statistics computed by InfluxDB from the raw ok
// trials over the same whole UTC days (the panel's query before issue 26):
// - count equal; mean within 1e-12 relative (the two add the same numbers in another order);
//   the interval's ends within 1e-9 relative, the stddev too where its spread is over 0.3 % of
//   the mean (total_time_s, 0.03 %, within 1e-15 × (mean/sd)²: the cancellation of n, Σ, Σ²);
//   a constant metric's stddev 0 in both;
// - a range starting and ending mid-day gives the whole days it touches;
// - the rollup the listener kept equals one made from scratch by the start fill, which found
//   only the day written before the rollup existed.
// Mutations tried, each failing this file: the rollup without `only` (failed trials counted: 2
// cases fail), touchedDays rolling up the day before the results' instead of theirs (all four:
// the first stops before its fill), the panel's range not widened to whole days (`$timeFilter`: the mid-day case).
// The Variants "$field by variant over time" panel reads the rollup too: each point (daily, weekly) held to mean() of
// the raw ok trials of its whole days; mutations failing it: `$timeFilter` instead of whole days, Σsum / Σsum, no 1 d minimum interval.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/stats/random.js';
import { interpolate, type VariableValue } from '../../grafana/interpolate.js';
import { variantOverTime, variantsDashboard, variantStats } from '../../grafana/dashboards/variants.js';
import { rawQuery } from '../influx/http.js';
import { setUpRetention } from '../influx/setup.js';
import type { WrittenResult } from '../listener.js';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { toLine, toWritten } from '../../test/support/sysbench-points.js';
import { seriesRows } from '../../test/support/stored-points.js';
import type { RetentionSettings } from '../../schema/retention.js';
import { DAY_MS } from './daily.js';
import { createRollupListener, fillRollup } from './engine.js';
import { TRIALS_ROLLUP } from './trials.js';

const DB = 'trials';
const db = usePrivateInfluxd(DB);
const RETENTION: RetentionSettings = { samples: { name: 'samples', duration: 'INF' }, kept: { name: 'autogen', duration: 'INF' } };
const T0_MS = Date.UTC(2026, 0, 5);
const DAYS = 21;
const BEFORE_DAY = 0;
const LATE_DAY = 6;
const EMPTY_DAY = 10;
const REPLAYED_DAY = 12;
const HOUR_MS = 3_600_000;
const ns = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;

const AGENTS = [
  { agent: 'a1', virt: 'kvm', variant: 'default', speed: 0.8, tests: ['cpu', 'memory'] },
  { agent: 'a2', virt: 'kvm', variant: 'b', speed: 0.7, tests: ['cpu', 'memory'] },
  { agent: 'a3', virt: 'kvm', variant: 'b', speed: 0.75, tests: ['cpu'] },
  { agent: 't1', virt: 'tcg', variant: 'b', speed: 0.1, tests: ['cpu'] },
  { agent: 'n', virt: 'none', variant: 'default', speed: 1, tests: ['cpu', 'memory'] },
];

/** A day's trials: 4 runs of 3 trials per agent and test; every 5th run's second trial failed. */
function day(d: number): WrittenResult[] {
  if (d === EMPTY_DAY) return [];
  const r = mulberry32(500 + d);
  const out: WrittenResult[] = [];
  let k = 0;
  for (const a of AGENTS)
    for (const test of a.tests)
      for (let run = 0; run < 4; run++, k++) {
        // a1's last cpu run starts at 23:59:40: its trials fall on both sides of midnight (not into the empty day or past the last).
        const midnight = a.agent === 'a1' && test === 'cpu' && run === 3 && d !== EMPTY_DAY - 1 && d < DAYS - 1;
        const startMs = T0_MS + d * DAY_MS + (midnight ? 24 * 3600 - 20 : run * 6 * 3600 + 3600 + 97 * k) * 1000;
        for (let trial = 1; trial <= 3; trial++) {
          const failed = (run + d) % 5 === 0 && trial === 2;
          const v = a.speed * 1000 * (1 + 0.04 * (r() - 0.5)) * (failed ? 100 : 1);
          out.push(
            toWritten({
              agent: a.agent,
              group: 'g',
              role: a.agent === 'n' ? 'baseline' : 'guest',
              virt: a.virt,
              variant: a.variant,
              test,
              runId: `${a.agent}-${test}-d${d}-r${run}`,
              trial,
              ok: !failed,
              timeNs: ns(startMs + trial * 11_000),
              values:
                test === 'memory'
                  ? { mib_per_sec: v, operations_per_sec: v * 3, total_time_s: 10 + r() * 0.01 }
                  : { events_per_sec: v, latency_avg_ms: 1000 / v, total_time_s: 10 + r() * 0.01, latency_pct: 95 },
            }),
          );
        }
      }
  return out;
}

const q = (sql: string) => seriesRows(db.url, DB, sql, 'ms');

async function write(results: readonly WrittenResult[]): Promise<void> {
  if (results.length === 0) return;
  const res = await fetch(`${db.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: results.map(toLine).join('\n') });
  if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
}

const FIELDS = ['events_per_sec', 'latency_avg_ms', 'total_time_s', 'mib_per_sec', 'latency_pct'] as const;
const All: VariableValue = { multi: false, value: '.*' };
const vars = (field: string): Record<string, VariableValue> => ({
  group: All,
  agent: All,
  virt: All,
  test: All,
  variant: All,
  field: { multi: false, value: field },
});
type Stats = Record<string, number>;

/** The table's rows by test, variant and virt. */
async function table(sql: string): Promise<Map<string, Stats>> {
  const out = new Map<string, Stats>();
  for (const s of await q(sql)) for (const row of s.rows) out.set(JSON.stringify([s.tags.test, s.tags.variant, s.tags.virt]), row as Stats);
  return out;
}

/** The slow path: the panel's statistics by InfluxDB over every ok trial of [fromMs, toMs). */
function rawStats(field: string, fromMs: number, toMs: number): string {
  const f = `"${field}"`;
  const half = `1.96 * stddev(${f}) / sqrt(count(${f}))`;
  return `SELECT mean(${f}) AS "mean", stddev(${f}) AS "stddev", count(${f}) AS "n", mean(${f}) - ${half} AS "ci_low", mean(${f}) + ${half} AS "ci_high" FROM "sysbench" WHERE "ok" = true AND time >= ${ns(fromMs)} AND time < ${ns(toMs)} GROUP BY "test", "variant", "virt"`;
}

const close = (got: number, want: number, rel: number) => Math.abs(got - want) <= rel * Math.abs(want);

async function expectPanelEqualsRaw(fromMs: number, toMs: number, wholeFromMs: number, wholeToMs: number): Promise<number> {
  let compared = 0;
  for (const f of FIELDS) {
    const fast = await table(interpolate(variantStats.toString(), { fromMs, toMs }, vars(f)));
    const slow = await table(rawStats(f, wholeFromMs, wholeToMs));
    expect([...fast.keys()].sort(), f).toEqual([...slow.keys()].sort());
    for (const [k, want] of slow) {
      const got = fast.get(k)!;
      const at = `${f} ${k}`;
      expect(got.n, at).toBe(want.n);
      expect(close(got.mean!, want.mean!, 1e-12), `${at} mean ${got.mean} vs ${want.mean}`).toBe(true);
      // A constant metric (latency_pct): InfluxDB's stddev is 0, and so is the rollup's.
      if (want.stddev === 0) expect(got.stddev, at).toBe(0);
      else {
        // n, Σ, Σ² cancel: the error grows as (mean/sd)² (docs/schema.md); 1e-9 up to a spread of 0.3 % of the mean.
        const rel = Math.max(1e-9, 1e-15 * (want.mean! / want.stddev!) ** 2);
        expect(close(got.stddev!, want.stddev!, rel), `${at} stddev ${got.stddev} vs ${want.stddev}`).toBe(true);
      }
      for (const c of ['ci_low', 'ci_high']) expect(close(got[c]!, want[c]!, 1e-9), `${at} ${c} ${got[c]} vs ${want[c]}`).toBe(true);
      compared++;
    }
  }
  return compared;
}

describe('sysbench_1d gives the Variants table’s slow answer (real influxd)', () => {
  it('kept by the listener through late, replayed and empty days; the start fill adds only the day from before it', async () => {
    const query = rawQuery({ url: db.url, database: DB });
    await (
      await setUpRetention(query, DB, RETENTION, pino({ level: 'silent' }))
    ).backfill;
    const listener = createRollupListener(TRIALS_ROLLUP, db.store);
    const deliver = async (results: WrittenResult[]) => {
      await write(results);
      await listener.onResultsWritten!(results);
    };
    // Written before the collector kept the rollup: no listener saw it.
    await write(day(BEFORE_DAY));
    for (let d = BEFORE_DAY + 1; d < DAYS; d++) {
      if (d === LATE_DAY) continue;
      await deliver(day(d));
      if (d === LATE_DAY + 5) await deliver(day(LATE_DAY));
    }
    await deliver(day(REPLAYED_DAY));
    // What the listener alone kept: every day after the one from before it.
    expect(await expectPanelEqualsRaw(T0_MS + DAY_MS, T0_MS + DAYS * DAY_MS - 1, T0_MS + DAY_MS, T0_MS + DAYS * DAY_MS)).toBe(4 * 3 + 3 + 7);
    expect(await fillRollup(TRIALS_ROLLUP, db.store, query, RETENTION, T0_MS + DAYS * DAY_MS)).toBe(1);
    expect(await fillRollup(TRIALS_ROLLUP, db.store, query, RETENTION, T0_MS + DAYS * DAY_MS)).toBe(0);
  });

  it('over the three weeks: each variant’s count, mean, stddev and interval equal the raw ok trials’', async () => {
    const compared = await expectPanelEqualsRaw(T0_MS, T0_MS + DAYS * DAY_MS - 1, T0_MS, T0_MS + DAYS * DAY_MS);
    // cpu: (default, kvm), (b, kvm) pooling a2 and a3, (b, tcg), (default, none); memory: (default, kvm), (b, kvm), (default, none).
    // events_per_sec, latency_avg_ms and latency_pct cpu only, mib_per_sec memory only, total_time_s both.
    expect(compared).toBe(4 * 3 + 3 + 7);
    // The pooled row counts both agents' ok trials, and none of the failed ones.
    const pooled = (await table(interpolate(variantStats.toString(), { fromMs: T0_MS, toMs: T0_MS + DAYS * DAY_MS - 1 }, vars('events_per_sec')))).get(
      JSON.stringify(['cpu', 'b', 'kvm']),
    )!;
    const failed = Array.from({ length: DAYS }, (_, d) => (d === EMPTY_DAY ? 0 : [0, 1, 2, 3].filter((run) => (run + d) % 5 === 0).length)).reduce(
      (a, b) => a + b,
    );
    expect(pooled.n).toBe(2 * ((DAYS - 1) * 4 * 3 - failed));
  });

  it('a range starting and ending mid-day gives the whole days it touches', async () => {
    const from = T0_MS + 3 * DAY_MS + 12 * HOUR_MS;
    const to = T0_MS + 9 * DAY_MS + 6 * HOUR_MS;
    expect(await expectPanelEqualsRaw(from, to, T0_MS + 3 * DAY_MS, T0_MS + 10 * DAY_MS)).toBe(4 * 3 + 3 + 7);
  });

  it('the Variants "$field by variant over time" panel: each point is the mean of the raw ok trials of its whole days, daily and weekly', async () => {
    // As Grafana sends it: the panel's minimum interval 1 d; 1 000 points (a day a point), or 2 over these 16 days (a week a point).
    const built = variantsDashboard()
      .build()
      .panels?.find((p) => 'title' in p && p.title === '$field by variant over time');
    const panel = { minInterval: built && 'interval' in built ? built.interval : undefined };
    expect(panel.minInterval).toBe('1d');
    const from = T0_MS + 3 * DAY_MS + 12 * HOUR_MS;
    const to = T0_MS + 19 * DAY_MS + 6 * HOUR_MS;
    let compared = 0;
    for (const [maxDataPoints, every] of [
      [undefined, '1d'],
      [2, '7d'],
    ] as const) {
      const sql = interpolate(variantOverTime.toString(), { fromMs: from, toMs: to }, vars('events_per_sec'), { ...panel, maxDataPoints });
      expect(sql).toContain(`GROUP BY time(${every})`);
      for (const f of FIELDS) {
        const fast = await q(interpolate(variantOverTime.toString(), { fromMs: from, toMs: to }, vars(f), { ...panel, maxDataPoints }));
        // The slow path (the panel's query before issue 26): mean() of the ok trials of the whole days the range touches.
        const slow = await q(
          `SELECT mean("${f}") AS "value" FROM "sysbench" WHERE "ok" = true AND time >= ${ns(T0_MS + 3 * DAY_MS)} AND time < ${ns(T0_MS + 20 * DAY_MS)} GROUP BY time(${every}), "variant", "test" fill(none)`,
        );
        const points = (series: typeof fast) =>
          new Map(series.flatMap((s) => s.rows.map((r) => [`${s.tags.variant}|${s.tags.test}|${String(r.time)}`, r.value as number])));
        const got = points(fast);
        const want = points(slow);
        expect([...got.keys()].sort(), `${f} ${every}`).toEqual([...want.keys()].sort());
        for (const [k, w] of want) expect(close(got.get(k)!, w, 1e-12), `${f} ${every} ${k}: ${got.get(k)} vs ${w}`).toBe(true);
        compared += want.size;
      }
    }
    // 12 variant·test lines over the five fields (events_per_sec, latency_avg_ms, latency_pct: 2 cpu; mib_per_sec: 2 memory;
    // total_time_s: 4); daily: the 16 days with trials of days 3-19; weekly: InfluxDB's weeks (from Thursday) of 8, 15 and 22 January.
    expect(compared).toBe(12 * 16 + 12 * 3);
  });

  it('the rollup the listener kept is the one the start fill makes from scratch', async () => {
    const kept = await q('SELECT * FROM "sysbench_1d" GROUP BY *');
    await q('DROP MEASUREMENT "sysbench_1d"');
    expect(await fillRollup(TRIALS_ROLLUP, db.store, rawQuery({ url: db.url, database: DB }), RETENTION, T0_MS + DAYS * DAY_MS)).toBe(DAYS - 1);
    expect(await q('SELECT * FROM "sysbench_1d" GROUP BY *')).toEqual(kept);
    // 8 series (5 cpu, 3 memory) a day, 20 days with trials.
    expect(kept.flatMap((s) => s.rows).length).toBe(8 * (DAYS - 1));
    expect(kept.every((s) => s.rows.every((r) => (r.time as number) % DAY_MS === 0))).toBe(true);
  });
});
