// refreshLatest's delete, on the in-memory store (which matches a where as InfluxDB does: a
// missing tag equals ''; collector/store/store.influx.test.ts holds the two stores alike): a
// latest point losing a field is deleted with exactly its own series, not every series that
// has its tags and more. Here vm1's series without a variant is refreshed, and vm1's series of
// variant 'patched' (same tags and one more), whose newest overhead point is older than the
// refresh's range, must keep its latest point untouched.
import { describe, expect, it } from 'vitest';
import { MemoryStore, storeTrials } from '../../test/support/memory-store.js';
import type { TrialSpec } from '../../test/support/sysbench-points.js';
import { createOverheadCalculator } from '../overhead/index.js';
import type { Store, StorePoint } from '../store/store.js';
import {
  createLatestKeeper,
  LATEST_SERIES_TAGS,
  LATEST_TIME_NS,
  LATEST_WHERES_PER_READ,
  latestWheres,
  refreshAllLatest,
  refreshLatest,
} from './overhead-latest.js';

const MS = 1_000_000n;
const T = BigInt(Date.UTC(2026, 0, 10)) * MS;
const tags = (variant?: string) => ({
  group: 'g',
  agent: 'vm1',
  test: 'cpu',
  profile: 'seed',
  metric: 'events_per_sec',
  baseline_agent: 'native',
  ...(variant ? { variant } : {}),
});
// Every overhead point has run_id (overhead/batch.ts; refreshLatest finds the newest time from it).
const overhead = (variant: string | undefined, at: bigint, fields: StorePoint['fields']): StorePoint => ({
  measurement: 'overhead',
  tags: tags(variant),
  fields: { run_id: 'run', ...fields },
  timestamp: at.toString(),
});

describe('refreshLatest on the in-memory store', () => {
  it('a latest point losing a field is deleted with its own series only (a series with one tag more keeps its point)', async () => {
    const store = new MemoryStore();
    await store.write([overhead('patched', T - 100n * MS, { overhead_pct: 7, ci_low_pct: 1 }), overhead(undefined, T, { overhead_pct: 3, more_runs: 2 })]);
    expect(await refreshLatest(store)).toBe(2);
    const latest = () =>
      store
        .all('overhead_latest')
        .map((r) => [r.tags.variant ?? '', r.timeNs, r.fields] as const)
        .sort((a, b) => a[0].localeCompare(b[0]));
    expect(latest()).toEqual([
      ['', LATEST_TIME_NS, { run_id: 'run', overhead_pct: 3, more_runs: 2, run_ms: Number(T / MS) }],
      ['patched', LATEST_TIME_NS, { run_id: 'run', overhead_pct: 7, ci_low_pct: 1, run_ms: Number((T - 100n * MS) / MS) }],
    ]);
    // The next run of the series without a variant no longer has more_runs.
    await store.write([overhead(undefined, T + 1000n * MS, { overhead_pct: 4 })]);
    expect(await refreshLatest(store, { tags: { group: 'g', test: 'cpu', profile: 'seed' }, from: T + 500n * MS })).toBe(1);
    expect(latest()).toEqual([
      ['', LATEST_TIME_NS, { run_id: 'run', overhead_pct: 4, run_ms: Number((T + 1000n * MS) / MS) }],
      ['patched', LATEST_TIME_NS, { run_id: 'run', overhead_pct: 7, ci_low_pct: 1, run_ms: Number((T - 100n * MS) / MS) }],
    ]);
  });
});

// refreshLatest reads each series' newest time (run_id alone), then the points at those times, one
// read per time naming the agents: the read at T answers vm1's default series at T too, though its
// newest point is later; it must not be taken (here the read at T comes last: the patched series'
// where is the second).
describe('refreshLatest: each series its own newest point when another series of its agent has its newest at an older point of it', () => {
  it('the default series keeps its point at T + 1 s, the patched one gets its point at T', async () => {
    const store = new MemoryStore();
    await store.write([
      overhead(undefined, T, { overhead_pct: 1 }),
      overhead(undefined, T + 1000n * MS, { overhead_pct: 2 }),
      overhead('patched', T, { overhead_pct: 9 }),
    ]);
    expect(await refreshLatest(store, [{ tags: { variant: '' } }, { tags: { variant: 'patched' } }])).toBe(2);
    const latest = store
      .all('overhead_latest')
      .map((r) => [r.tags.variant ?? '', r.fields.overhead_pct, r.fields.run_ms])
      .sort();
    expect(latest).toEqual([
      ['', 2, Number((T + 1000n * MS) / MS)],
      ['patched', 9, Number(T / MS)],
    ]);
  });
});

// The start-time check reads a page of agents at a time (issue 26): it must write what one read of
// every series writes. Seven agents (pages of 3: the last one short), series with and without a
// variant and on two tests, latest points missing, stale, current, and one holding a field to lose.
describe('refreshAllLatest: the start-time check in pages of agents', () => {
  const series = (agent: string, test: string, variant?: string) => ({ ...tags(variant), agent, test });
  async function fleet(): Promise<MemoryStore> {
    const store = new MemoryStore();
    const points: StorePoint[] = [];
    for (let a = 0; a < 7; a++)
      for (const [test, variant] of [
        ['cpu', undefined],
        ['cpu', 'patched'],
        ['memory', undefined],
      ] as const)
        for (let run = 0; run < 3; run++)
          points.push({
            measurement: 'overhead',
            tags: series(`vm${a}`, test, variant),
            fields: { run_id: `r${run}`, overhead_pct: a + run, n_guest: 3 },
            timestamp: (T + BigInt(run) * 1000n * MS).toString(),
          });
    // What an earlier collector left: vm1's cpu current, vm2's cpu stale, vm3's cpu with a field its newest point lacks.
    const latest = (agent: string, fields: StorePoint['fields']): StorePoint => ({
      measurement: 'overhead_latest',
      tags: series(agent, 'cpu'),
      fields,
      timestamp: LATEST_TIME_NS.toString(),
    });
    points.push(latest('vm1', { run_id: 'r2', overhead_pct: 3, n_guest: 3, run_ms: Number((T + 2000n * MS) / MS) }));
    points.push(latest('vm2', { run_id: 'r1', overhead_pct: 2, n_guest: 3, run_ms: Number((T + 1000n * MS) / MS) }));
    points.push(latest('vm3', { run_id: 'r2', overhead_pct: 5, n_guest: 3, more_runs: 1, run_ms: Number((T + 2000n * MS) / MS) }));
    await store.write(points);
    return store;
  }
  const stored = (store: MemoryStore) =>
    store
      .all('overhead_latest')
      .map((r) => JSON.stringify([r.tags, r.timeNs.toString(), r.fields]))
      .sort();

  it('writes exactly what one refresh of every series writes, a selectMany per page of agents', async () => {
    const whole = await fleet();
    const paged = await fleet();
    const oneRead = await refreshLatest(whole);
    let reads = 0;
    const counted: Store = {
      write: (p) => paged.write(p),
      select: (q) => paged.select(q),
      selectMany: (q) => (reads++, paged.selectMany(q)),
      tagValues: (m, k, w) => paged.tagValues(m, k, w),
      delete: (m, w) => paged.delete(m, w),
    };
    expect(await refreshAllLatest(counted, 3)).toBe(oneRead);
    expect(oneRead).toBe(7 * 3 - 1); // every series but vm1's cpu, already current
    expect(stored(paged)).toEqual(stored(whole));
    expect(stored(paged)).toHaveLength(7 * 3);
    expect(reads).toBe(2 * 3); // 3 + 3 + 1 agents, two reads each (the newest times, then those points)
    expect(await refreshAllLatest(paged, 3)).toBe(0);
  });
});

// The keeper after the overhead calculator, both on the in-memory store, batches as a fleet makes
// them (issue 26): a batch with only guests' results of a group × test × profile refreshes only
// those guests' series, every other batch the whole group × test × profile, LATEST_WHERES_PER_READ
// keys at a time. Checked after every batch against the slow path: each `overhead` series' newest
// point found here from all of its points. Two groups, two tests, guests reporting out of step
// with their baselines (late, early, merged with another group's), a run's trials out of order,
// one guest's variant changing.
describe('createLatestKeeper after the overhead calculator: the newest overhead point of every series after every batch', () => {
  const HOUR = 3_600_000n * MS;
  const W = 24 * 3_600_000;
  const trials = (agent: string, group: string, role: 'guest' | 'baseline', test: string, i: number, speed: number, variant?: string): TrialSpec[] =>
    [0, 1, 2].map((t) => ({
      agent,
      group,
      role,
      test,
      ...(variant ? { variant } : {}),
      runId: `${agent}-${test}-r${i}`,
      trial: t + 1,
      timeNs: T + BigInt(i) * 6n * HOUR + BigInt(t) * 60_000n * MS + (role === 'guest' ? 5n * 60_000n * MS : 0n),
      values: { events_per_sec: 1000 * speed * (1 + 0.01 * ((i * 7 + t * 3) % 5)), latency_avg_ms: 1 / speed },
    }));
  const newestBySeries = (store: MemoryStore) => {
    const out = new Map<string, string>();
    const newest = new Map<string, { timeNs: bigint; fields: StorePoint['fields'] }>();
    for (const r of store.all('overhead')) {
      expect(r.fields.run_id).toBeTypeOf('string'); // what refreshLatest finds the newest time from
      const k = JSON.stringify(LATEST_SERIES_TAGS.map((t) => r.tags[t] ?? ''));
      const prev = newest.get(k);
      if (!prev || prev.timeNs < r.timeNs) newest.set(k, r);
    }
    for (const [k, r] of newest) out.set(k, JSON.stringify({ ...r.fields, run_ms: Number(r.timeNs / MS) }));
    return out;
  };
  const latestBySeries = (store: MemoryStore) => {
    const out = new Map<string, string>();
    for (const r of store.all('overhead_latest')) {
      expect(r.timeNs).toBe(LATEST_TIME_NS);
      out.set(JSON.stringify(LATEST_SERIES_TAGS.map((t) => r.tags[t] ?? '')), JSON.stringify(r.fields));
    }
    return out;
  };
  const sorted = (m: Map<string, string>) => [...m].sort((a, b) => a[0].localeCompare(b[0]));

  it('guest batches narrowed to their guests, baseline and mixed batches the whole group', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const counted: Store = {
      write: (p) => (calls.push('write'), store.write(p)),
      select: (q) => (calls.push('select'), store.select(q)),
      // Each select's guests ('*': the whole group × test × profile).
      selectMany: (q) => (calls.push(`selectMany ${q.map((s) => s.where?.tags?.agent ?? '*').join(' ')}`), store.selectMany(q)),
      tagValues: (m, k, w) => store.tagValues(m, k, w),
      delete: (m, w) => (calls.push('delete'), store.delete(m, w)),
    };
    const calc = createOverheadCalculator({ store, windowMs: W });
    const keeper = createLatestKeeper({ store: counted, windowMs: W });
    const deliver = async (batch: TrialSpec[]) => {
      const written = await storeTrials(store, batch);
      await calc.onResultsWritten(written);
      calls.length = 0;
      await keeper.onResultsWritten!(written);
      expect(sorted(latestBySeries(store))).toEqual(sorted(newestBySeries(store)));
      return [...calls];
    };
    const tests = ['cpu', 'memory'];
    const guests = (g: string, i: number) =>
      ['a', 'b', 'c'].flatMap((a, n) =>
        tests.flatMap((t) => trials(`${g}-${a}`, g, 'guest', t, i, 0.6 + 0.1 * n, a === 'c' && i >= 4 ? 'patched' : undefined)),
      );
    const baseline = (g: string, i: number) => tests.flatMap((t) => trials(`${g}-native`, g, 'baseline', t, i, 1));
    let guestOnly: string[] = [];
    let whole: string[] = [];
    for (let i = 0; i < 7; i++) {
      // g1: guests first, its baseline late and merged with g2's guests; g2's baseline before its guests.
      guestOnly = await deliver(guests('g1', i));
      // Every other run one of g1's guest results again, ahead of the baselines in their batch.
      whole = await deliver([...(i % 2 ? guests('g1', i).slice(0, 3) : []), ...baseline('g1', i), ...baseline('g2', i)]);
      const g2 = guests('g2', i);
      if (i === 3) g2.reverse(); // trials out of order
      await deliver(g2.slice(0, 5));
      await deliver(g2.slice(5));
      // One guest alone, its run again (a replayed spool).
      await deliver(trials('g1-b', 'g1', 'guest', 'cpu', i, 0.7));
    }
    // Two tests: per LATEST_WHERES_PER_READ of them one read of the three guests' newest times and
    // stored points, one of those points, one write.
    const sets = Math.ceil(2 / LATEST_WHERES_PER_READ);
    expect(guestOnly.map((c) => c.split(' ')[0])).toEqual(Array(sets).fill(['selectMany', 'selectMany', 'write']).flat());
    expect(guestOnly[0]).toBe(
      `selectMany ${Array(2 * Math.min(2, LATEST_WHERES_PER_READ))
        .fill('g1-a,g1-b,g1-c')
        .join(' ')}`,
    );
    // Two groups × two tests, the whole of each.
    expect(whole[0]).toBe(
      `selectMany ${Array(2 * Math.min(4, LATEST_WHERES_PER_READ))
        .fill('*')
        .join(' ')}`,
    );
    expect(latestBySeries(store).size).toBe(2 * 4 * 2 * 2); // 2 groups × 4 guest series (c's variant) × 2 tests × 2 metrics
  });

  it('a guest-only batch reads only its guests; a batch with any other result the whole group × test × profile', () => {
    const r = (agent: string, role: string | undefined, test: string, ms: number) => ({
      tags: { group: 'g', test, profile: 'seed', agent, ...(role ? { role } : {}) },
      fields: {},
      timestamp_ns: (BigInt(ms) * MS).toString(),
    });
    expect(
      latestWheres(
        [r('vm2', 'guest', 'cpu', 5000), r('vm1', 'guest', 'cpu', 3000), r('vm1', 'guest', 'memory', 4000), r('native', 'baseline', 'memory', 6000)],
        1000n * MS,
      ),
    ).toEqual([
      { tags: { group: 'g', test: 'cpu', profile: 'seed', agent: ['vm1', 'vm2'] }, from: 2000n * MS },
      { tags: { group: 'g', test: 'memory', profile: 'seed' }, from: 3000n * MS },
    ]);
    expect(latestWheres([r('vm1', 'guest', 'cpu', 5000), r('x', undefined, 'cpu', 9000)], 1000n * MS)).toEqual([
      { tags: { group: 'g', test: 'cpu', profile: 'seed' }, from: 4000n * MS },
    ]);
  });

  it('more keys than one read takes: a read (and a write) per LATEST_WHERES_PER_READ keys, the same points as one refresh each', async () => {
    const fill = async (store: MemoryStore) => {
      const points: StorePoint[] = [];
      for (let k = 0; k < LATEST_WHERES_PER_READ + 3; k++)
        for (const at of [T, T + 1000n * MS]) points.push(overhead(undefined, at, { overhead_pct: k + Number(at % 7n) }));
      await store.write(points.map((p, i) => ({ ...p, tags: { ...p.tags, group: `g${Math.floor(i / 2)}` } })));
    };
    const many = new MemoryStore();
    const each = new MemoryStore();
    await fill(many);
    await fill(each);
    const wheres = Array.from({ length: LATEST_WHERES_PER_READ + 3 }, (_, k) => ({ tags: { group: `g${k}`, test: 'cpu', profile: 'seed' }, from: T }));
    let reads = 0;
    const counted: Store = {
      ...many,
      select: (q) => many.select(q),
      selectMany: (q) => (reads++, many.selectMany(q)),
      write: (p) => many.write(p),
      tagValues: (m, k, w) => many.tagValues(m, k, w),
      delete: (m, w) => many.delete(m, w),
    };
    expect(await refreshLatest(counted, wheres)).toBe(LATEST_WHERES_PER_READ + 3);
    expect(reads).toBe(2 * Math.ceil((LATEST_WHERES_PER_READ + 3) / LATEST_WHERES_PER_READ));
    for (const w of wheres) await refreshLatest(each, w);
    const all = (s: MemoryStore) =>
      s
        .all('overhead_latest')
        .map((r) => JSON.stringify([r.tags, r.fields]))
        .sort();
    expect(all(many)).toEqual(all(each));
    expect(all(many)).toHaveLength(LATEST_WHERES_PER_READ + 3);
  });
});
