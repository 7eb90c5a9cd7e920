// Retention policies and downsampling against a real influxd (issue 14 item 5): the policies
// with their durations, a sample written by the collector's encoder and writer landing in the
// short policy, 5-minute mean/min/max equal to those computed here from the raw values, a second
// start that changes nothing, changed durations ALTERed and logged, and InfluxDB's own CQ
// service producing the same numbers.
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IntervalSample__Output } from '../../proto/index.js';
import { MEASUREMENTS } from '../../schema/influx.js';
import { DEFAULT_RETENTION, measurementRef, policyOf, type RetentionSettings } from '../../schema/retention.js';
import type { Measurement } from '../../schema/influx.js';
import { influxdFixture } from '../../test/support/fixture.js';
import { StreamEncoder } from './points.js';
import { BatchWriter } from './writer.js';
import { lineWriter, rawQuery } from './http.js';
import { backfillDownsampled, continuousQuery, retentionDuration } from './retention.js';
import { setUpRetention } from './setup.js';

const DB = 'retention_test';
const fx = influxdFixture('vo-retention-');
let query: ReturnType<typeof rawQuery>;

/** A logger whose lines the test reads. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

async function rows(q: string): Promise<Array<Record<string, unknown>>> {
  const answer = await query(q);
  const err = answer.results?.[0]?.error;
  if (err) throw new Error(`${q}: ${err}`);
  return (answer.results?.[0]?.series ?? []).flatMap((s) =>
    (s.values ?? []).map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })),
  );
}

const policies = async () => (await rows(`SHOW RETENTION POLICIES ON "${DB}"`)).map((r) => [r.name, r.duration, r.default]);
const cqs = async () => (await rows('SHOW CONTINUOUS QUERIES')).map((r) => r.name);

const TAGS = { agent: 'a1', host: 'h1', group: 'g', role: 'guest', virt: 'kvm', container: 'none', kvm: 'usable', variant: 'default' };
const MIN_NS = 60_000_000_000n;

function sample(id: number, tNs: bigint, events: number, latency: number): IntervalSample__Output {
  return {
    id: `s${id}`,
    run_id: 'run1',
    test: 'cpu',
    profile: 'seed',
    sysbench_version: '1.0.20',
    trial: 1,
    timestamp_ns: tNs.toString(),
    fields: { elapsed_s: id, events_per_sec: events, latency_pct_ms: latency },
  } as unknown as IntervalSample__Output;
}

/** Samples through the collector's own encoder and writer (the policy split included). */
async function writeSamples(agent: string, samples: IntervalSample__Output[], settings: RetentionSettings = DEFAULT_RETENTION): Promise<void> {
  const enc = new StreamEncoder({ ...TAGS, agent, host: agent });
  const writer = new BatchWriter(lineWriter({ url: fx.influxd.url, database: DB }), {
    log: pino({ level: 'silent' }),
    policyOf: (m) => policyOf(m as Measurement, settings),
  });
  await Promise.all(samples.map((s) => new Promise<void>((resolve, reject) => writer.write(enc.sample(s), (err) => (err ? reject(err) : resolve())))));
  await writer.close(5000);
}

/** mean/min/max/count per 5-minute window, computed here from the values written. */
function expectedWindows(values: Array<[bigint, number]>): Map<string, { mean: number; min: number; max: number; n: number }> {
  const out = new Map<string, number[]>();
  for (const [t, v] of values) {
    const w = ((t / (5n * MIN_NS)) * 5n * MIN_NS).toString();
    out.set(w, [...(out.get(w) ?? []), v]);
  }
  return new Map([...out].map(([w, vs]) => [w, { mean: vs.reduce((a, b) => a + b, 0) / vs.length, min: Math.min(...vs), max: Math.max(...vs), n: vs.length }]));
}

beforeAll(async () => {
  query = rawQuery({ url: fx.influxd.url, database: DB });
  await query(`CREATE DATABASE "${DB}"`);
}, 60_000);

describe('retention policies (real influxd)', () => {
  it('options are checked: durations of at least 1h, or INF', () => {
    expect(retentionDuration('30d', 'x')).toBe('30d');
    expect(retentionDuration('inf', 'x')).toBe('INF');
    expect(() => retentionDuration('30m', 'samples-retention')).toThrow(/--samples-retention: '30m' is not a retention duration/);
    expect(() => retentionDuration('0h', 'x')).toThrow(/at least 1h/);
  });

  it('the first start creates the samples policy (30 days) beside the default autogen and the downsampling CQ', async () => {
    const { log, lines } = capture();
    await (
      await setUpRetention(query, DB, DEFAULT_RETENTION, log)
    ).backfill;
    expect(await policies()).toEqual([
      ['autogen', '0s', true],
      ['samples', '720h0m0s', false],
    ]);
    expect(await cqs()).toEqual([continuousQuery(DB, DEFAULT_RETENTION).name]);
    // Shard groups of a quarter of the retention, a year at most (retention.ts shardDuration): a year of queries opens few shards.
    expect((await rows(`SHOW RETENTION POLICIES ON "${DB}"`)).map((r) => [r.name, r.shardGroupDuration])).toEqual([
      ['autogen', '8736h0m0s'],
      ['samples', '168h0m0s'],
    ]);
    expect(lines.map((l) => l.msg)).toEqual([
      'retention policy autogen: shard duration changed from 168h0m0s to 52w',
      'retention policy samples: created to 30d',
      'created the downsampling continuous query',
    ]);
  });

  it('a second start with the same options changes nothing and logs nothing', async () => {
    const before = [await policies(), await cqs()];
    const { log, lines } = capture();
    await (
      await setUpRetention(query, DB, DEFAULT_RETENTION, log)
    ).backfill;
    expect([await policies(), await cqs()]).toEqual(before);
    expect(lines).toEqual([]);
  });

  it('changed durations and a new kept policy are applied and logged; the CQ follows the policy names', async () => {
    const changed: RetentionSettings = { samples: { name: 'samples', duration: '7d' }, kept: { name: 'forever', duration: '104w' } };
    const { log, lines } = capture();
    await (
      await setUpRetention(query, DB, changed, log)
    ).backfill;
    expect(await policies()).toEqual([
      ['autogen', '0s', false],
      ['samples', '168h0m0s', false],
      ['forever', '17472h0m0s', true],
    ]);
    expect(lines.map((l) => [l.msg, l.from, l.to])).toEqual([
      ['retention policy forever: created to 104w', undefined, '104w'],
      ['retention policy samples: duration changed from 720h0m0s to 7d', '720h0m0s', '7d'],
      ['retention policy samples: shard duration changed from 168h0m0s to 1d', '168h0m0s', '1d'],
      ['replaced the downsampling continuous query', undefined, undefined],
    ]);
    expect(await cqs()).toEqual([continuousQuery(DB, changed).name]);
    // Back to the defaults for the tests below: autogen is the default again, samples 30 days.
    const back = capture();
    await (
      await setUpRetention(query, DB, DEFAULT_RETENTION, back.log)
    ).backfill;
    expect(back.lines.map((l) => l.msg)).toEqual([
      'retention policy autogen is now the default: queries that name no policy no longer read forever',
      'retention policy samples: duration changed from 168h0m0s to 30d',
      'retention policy samples: shard duration changed from 24h0m0s to 7d',
      'replaced the downsampling continuous query',
    ]);
    await query(`DROP RETENTION POLICY "forever" ON "${DB}"`);
  });
});

describe('samples and their downsampling (real influxd)', () => {
  // 40 samples of one agent over 20 minutes two hours ago (beyond the CQ's hour: the backfill's job).
  const t0 = ((BigInt(Date.now()) * 1_000_000n - 120n * MIN_NS) / (5n * MIN_NS)) * 5n * MIN_NS;
  const written: Array<[bigint, number, number]> = Array.from({ length: 40 }, (_, i) => [
    t0 + BigInt(i) * 30_000_000_000n + 7n,
    1000 + ((i * 37) % 101),
    1 + (i % 7) / 4,
  ]);

  it('a sample written by the collector lands in the samples policy, not in the default one', async () => {
    await writeSamples(
      'a1',
      written.map(([t, e, l], i) => sample(i, t, e, l)),
    );
    expect(measurementRef('sysbench_interval')).toBe('"samples"."sysbench_interval"');
    expect(await rows(`SELECT count("events_per_sec") FROM "samples"."sysbench_interval"`)).toEqual([expect.objectContaining({ count: 40 })]);
    expect(await rows(`SELECT count("events_per_sec") FROM "autogen"."sysbench_interval"`)).toEqual([]);
  });

  it('the backfill writes 5-minute mean/min/max per series equal to the hand computation', async () => {
    const points = await backfillDownsampled(query, DB, DEFAULT_RETENTION);
    const events = expectedWindows(written.map(([t, e]) => [t, e]));
    const latency = expectedWindows(written.map(([t, , l]) => [t, l]));
    expect(points).toBe(events.size);
    const got = await rows(`SELECT * FROM "sysbench_interval_5m" WHERE "agent" = 'a1' GROUP BY *`);
    expect(got.map((r) => String(r.time))).toEqual([...events.keys()]);
    for (const r of got) {
      const e = events.get(String(r.time))!;
      const l = latency.get(String(r.time))!;
      expect(r).toMatchObject({ test: 'cpu', group: 'g', samples: e.n, events_per_sec_min: e.min, events_per_sec_max: e.max, latency_pct_ms_min: l.min });
      expect(r.events_per_sec_mean).toBeCloseTo(e.mean, 9);
      expect(r.latency_pct_ms_mean).toBeCloseTo(l.mean, 9);
      expect(r.latency_pct_ms_max).toBe(l.max);
      // Only fields of the contract (schema/influx.ts) are written.
      for (const k of Object.keys(r))
        if (!['time', ...MEASUREMENTS.sysbench_interval_5m.tags].includes(k)) expect(MEASUREMENTS.sysbench_interval_5m.fields).toHaveProperty(k);
    }
    // Done again (the next start), nothing changes.
    await backfillDownsampled(query, DB, DEFAULT_RETENTION);
    expect(await rows(`SELECT * FROM "sysbench_interval_5m" WHERE "agent" = 'a1' GROUP BY *`)).toEqual(got);
  });

  it("InfluxDB's CQ service downsamples samples of the last hour by itself (waits for its next minute)", async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const recent: Array<[bigint, number]> = Array.from({ length: 12 }, (_, i) => [now - 20n * MIN_NS + BigInt(i) * 60_000_000_000n, 500 + i * i]);
    await writeSamples(
      'cq1',
      recent.map(([t, e], i) => sample(i, t, e, 1)),
    );
    const want = expectedWindows(recent);
    let got: Array<Record<string, unknown>> = [];
    // RESAMPLE EVERY 1m: the service runs it at the next minute boundary; poll (not a timed assertion).
    for (let i = 0; i < 150 && got.length < want.size; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      got = await rows(`SELECT "events_per_sec_mean", "events_per_sec_min", "events_per_sec_max", "samples" FROM "sysbench_interval_5m" WHERE "agent" = 'cq1'`);
    }
    expect(got.map((r) => String(r.time))).toEqual([...want.keys()]);
    for (const r of got) {
      const e = want.get(String(r.time))!;
      expect(r).toMatchObject({ events_per_sec_min: e.min, events_per_sec_max: e.max, samples: e.n });
      expect(r.events_per_sec_mean).toBeCloseTo(e.mean, 9);
    }
  }, 200_000);
});

describe('the backfill with samples kept forever (real influxd)', () => {
  // Issue 23 item 3: one sample from a clock set to 1971 under --samples-retention INF made every
  // start walk the backfill a day at a time from 1971 (~20 000 queries, 48 s).
  const forever: RetentionSettings = { samples: { name: 'samples', duration: 'INF' }, kept: DEFAULT_RETENTION.kept };
  const oldNs = BigInt(Date.UTC(1971, 0, 1, 0, 1)) * 1_000_000n;

  it('jumps over the empty years: both windows written, a few dozen queries', async () => {
    await (
      await setUpRetention(query, DB, forever, pino({ level: 'silent' }))
    ).backfill;
    await writeSamples('old1', [sample(1, oldNs, 700, 2), sample(2, oldNs + 60_000_000_000n, 900, 4)], forever);
    let statements = 0;
    const counted: typeof query = (q) => {
      statements++;
      return query(q);
    };
    await backfillDownsampled(counted, DB, forever);
    const got = await rows(`SELECT "events_per_sec_mean", "samples" FROM "sysbench_interval_5m" WHERE "agent" = 'old1'`);
    expect(got.map((r) => [String(r.time), r.events_per_sec_mean, r.samples])).toEqual([[String(BigInt(Date.UTC(1971, 0, 1)) * 1_000_000n), 800, 2]]);
    // The samples of the tests above (two hours ago and the last hour) are still downsampled.
    expect((await rows(`SELECT count("samples") FROM "sysbench_interval_5m" WHERE "agent" = 'a1'`))[0]).toMatchObject({ count: 4 });
    // Days holding samples (1971, today and maybe yesterday), each followed by one empty day and one jump.
    expect(statements).toBeLessThan(20);
  });
});
