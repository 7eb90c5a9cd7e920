// The change detector's two reads of the overhead series on a real influxd: per InfluxDB series
// (the store's eachSeries, the default where the store has it) and as rows (`rows: true`, the
// store's select, the slow path). One answer: the same analyses and the same stored points, on
// series long enough that the shortcut matters (400 runs), with runs whose fact tags change (a
// series in several InfluxDB series), equal times across them, two thread counts of one metric,
// facts that change, points without a number, old runs rewritten after a first analysis, and a
// point another collector wrote meanwhile.
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../../test/support/fixture.js';
import { influxStore } from '../store/influx.js';
import type { Store, StorePoint } from '../store/store.js';
import { createChangeDetector } from './index.js';
import { mulberry32 } from '../../lib/stats/random.js';

const fx = influxdFixture('changes-read-paths-');

const HOUR = 3_600_000_000_000n;
const RUNS = 400;
// 400 runs 6 hours apart, ending an hour ago: inside the 400-day lookback.
const T0 = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - BigInt(RUNS) * 6n * HOUR;
const at = (i: number) => T0 + BigInt(i) * 6n * HOUR;
const GUESTS = ['vm-a', 'vm-b', 'vm-c'];

/** A guest's overhead points: two metrics against two baselines, steps and drifts, a variant switch (new InfluxDB series) at run 150. */
function overheadPoints(agent: string, seed: number): StorePoint[] {
  const r = mulberry32(seed);
  const out: StorePoint[] = [];
  for (const metric of ['events_per_sec', 'latency_avg_ms'])
    for (const baseline of ['native-1', 'native-2'])
      for (let i = 0; i < RUNS; i++) {
        const level = 10 + (i >= 120 ? 8 : 0) + (i >= 300 ? (i - 300) * 0.05 : 0) + (metric === 'latency_avg_ms' && i >= 250 ? -5 : 0);
        const noise = (r() - 0.5) * 2 + (r() < 0.01 ? 30 : 0);
        const tags = {
          group: 'g',
          agent,
          test: 'cpu',
          profile: 'seed',
          role: 'guest',
          metric,
          baseline_agent: baseline,
          virt: 'kvm',
          variant: i < 150 ? 'stock' : 'patched',
        };
        const fields: StorePoint['fields'] = {
          overhead_pct: level + noise,
          baseline_value: 1000 + r(),
          ratio: 0.9,
          run_id: `${agent}-${i}`,
          baseline_run_id: `${baseline}-${i}`,
          threads: 1,
        };
        out.push({ measurement: 'overhead', tags, fields, timestamp: at(i).toString() });
        // The same run at the same time in another InfluxDB series (another host tag): a tie of time and run id.
        if (i % 97 === 5)
          out.push({ measurement: 'overhead', tags: { ...tags, host: 'other' }, fields: { ...fields, overhead_pct: level + 1 }, timestamp: at(i).toString() });
        // A second thread count of the same metric for the newest runs: a series that differs only in threads.
        if (i >= 330)
          out.push({
            measurement: 'overhead',
            tags: { ...tags, container: 'lxc' },
            fields: { ...fields, threads: 4, overhead_pct: level * 2 + noise },
            timestamp: at(i).toString(),
          });
        // A point without its number: no run.
        if (i % 113 === 7)
          out.push({
            measurement: 'overhead',
            tags: { ...tags, host: 'broken' },
            fields: { ratio: 1, run_id: `${agent}-${i}-x` },
            timestamp: (at(i) + 1n).toString(),
          });
      }
  return out;
}

const facts = (agent: string): StorePoint[] =>
  [0, 200, 350].map((i, k) => ({
    measurement: 'agent_info',
    tags: { group: 'g', agent },
    fields: { kernel: k === 1 ? '6.6' : '6.1', qemu_version: '8.2' },
    timestamp: (at(i) - HOUR).toString(),
  }));

/** Every derived point, as InfluxDB holds it. */
async function derived(store: Store): Promise<unknown> {
  const json = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  return json(await store.selectMany([{ measurement: 'overhead_change' }, { measurement: 'overhead_series' }]));
}

/** The store with its eachSeries calls counted. */
function counted(store: Store): Store & { perSeries: number } {
  const c = Object.assign(Object.create(null) as object, store, { perSeries: 0 }) as Store & { perSeries: number };
  c.eachSeries = (s, visit) => (c.perSeries++, store.eachSeries!(s, visit));
  return c;
}

describe('change detector: the overhead read per series equals the read as rows (real influxd)', () => {
  it('same analyses and same stored points, before and after old runs are rewritten and another collector wrote', async () => {
    const stores = ['fast', 'slow'].map((db) => counted(influxStore({ url: fx.influxd.url, database: db })));
    for (const [k, db] of ['fast', 'slow'].entries()) {
      await fetch(`${fx.influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${db}` }) });
      await stores[k]!.write([...GUESTS.flatMap((a, j) => overheadPoints(a, j + 1)), ...GUESTS.flatMap(facts)]);
    }
    const [fast, slow] = [createChangeDetector({ store: stores[0]! }), createChangeDetector({ store: stores[1]!, rows: true })];
    const keys = GUESTS.map((agent) => ({ group: 'g', agent, test: 'cpu', profile: 'seed' }));

    // The analyses themselves, both paths on the same data.
    for (const key of keys) {
      const [a, b] = [await fast.analyse(key), await createChangeDetector({ store: stores[0]!, rows: true }).analyse(key)];
      expect(a).toStrictEqual(b);
      expect(a.length).toBe(8); // 2 metrics × 2 baselines × 1 and 4 threads
      expect(a.some((x) => x.verdict.status === 'analysed' && x.verdict.changes.length > 0)).toBe(true);
      expect(Math.max(...a.map((x) => x.series.runs.length))).toBeGreaterThan(RUNS);
    }
    expect(stores[0]!.perSeries).toBeGreaterThan(0);

    const baseline = {
      tags: { group: 'g', agent: 'native-1', role: 'baseline', test: 'cpu', profile: 'seed' },
      fields: {},
      timestamp_ns: at(RUNS - 1).toString(),
    };
    await fast.onResultsWritten([baseline]);
    await slow.onResultsWritten([baseline]);
    expect(stores[1]!.perSeries).toBe(0);
    const first = await derived(stores[0]!);
    expect(first).toStrictEqual(await derived(stores[1]!));
    expect((first as unknown[][])[0]!.length).toBeGreaterThan(3);

    // Old runs rewritten (a step moved from run 120 to 60), and a stale change point another collector wrote.
    for (const s of stores) {
      const rewritten = GUESTS.flatMap((a, j) => overheadPoints(a, j + 1))
        .filter((p) => {
          const i = Number(BigInt(p.timestamp) - T0) / Number(6n * HOUR);
          return i >= 60 && i < 120;
        })
        .map((p) => (typeof p.fields.overhead_pct === 'number' ? { ...p, fields: { ...p.fields, overhead_pct: p.fields.overhead_pct + 8 } } : p));
      await s.write(rewritten);
      await s.write([
        {
          measurement: 'overhead_change',
          tags: {
            group: 'g',
            agent: 'vm-b',
            test: 'cpu',
            profile: 'seed',
            metric: 'events_per_sec',
            baseline_agent: 'native-1',
            kind: 'regression',
            cause: 'guest',
          },
          fields: { run_id: 'elsewhere' },
          timestamp: at(10).toString(),
        },
      ]);
    }
    await fast.onResultsWritten([baseline]);
    await slow.onResultsWritten([baseline]);
    const second = await derived(stores[0]!);
    expect(second).toStrictEqual(await derived(stores[1]!));
    expect(second).not.toStrictEqual(first);
    expect(JSON.stringify(second)).not.toContain('elsewhere');
  });
});
