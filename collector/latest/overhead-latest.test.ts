// refreshLatest's delete, on the in-memory store (which matches a where as InfluxDB does: a
// missing tag equals ''; collector/store/store.influx.test.ts holds the two stores alike): a
// latest point losing a field is deleted with exactly its own series, not every series that
// has its tags and more. Here vm1's series without a variant is refreshed, and vm1's series of
// variant 'patched' (same tags and one more), whose newest overhead point is older than the
// refresh's range, must keep its latest point untouched.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { Store, StorePoint } from '../store/store.js';
import { LATEST_TIME_NS, refreshAllLatest, refreshLatest } from './overhead-latest.js';

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
const overhead = (variant: string | undefined, at: bigint, fields: StorePoint['fields']): StorePoint => ({
  measurement: 'overhead',
  tags: tags(variant),
  fields,
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
      ['', LATEST_TIME_NS, { overhead_pct: 3, more_runs: 2, run_ms: Number(T / MS) }],
      ['patched', LATEST_TIME_NS, { overhead_pct: 7, ci_low_pct: 1, run_ms: Number((T - 100n * MS) / MS) }],
    ]);
    // The next run of the series without a variant no longer has more_runs.
    await store.write([overhead(undefined, T + 1000n * MS, { overhead_pct: 4 })]);
    expect(await refreshLatest(store, { tags: { group: 'g', test: 'cpu', profile: 'seed' }, from: T + 500n * MS })).toBe(1);
    expect(latest()).toEqual([
      ['', LATEST_TIME_NS, { overhead_pct: 4, run_ms: Number((T + 1000n * MS) / MS) }],
      ['patched', LATEST_TIME_NS, { overhead_pct: 7, ci_low_pct: 1, run_ms: Number((T - 100n * MS) / MS) }],
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
            fields: { overhead_pct: a + run, n_guest: 3 },
            timestamp: (T + BigInt(run) * 1000n * MS).toString(),
          });
    // What an earlier collector left: vm1's cpu current, vm2's cpu stale, vm3's cpu with a field its newest point lacks.
    const latest = (agent: string, fields: StorePoint['fields']): StorePoint => ({
      measurement: 'overhead_latest',
      tags: series(agent, 'cpu'),
      fields,
      timestamp: LATEST_TIME_NS.toString(),
    });
    points.push(latest('vm1', { overhead_pct: 3, n_guest: 3, run_ms: Number((T + 2000n * MS) / MS) }));
    points.push(latest('vm2', { overhead_pct: 2, n_guest: 3, run_ms: Number((T + 1000n * MS) / MS) }));
    points.push(latest('vm3', { overhead_pct: 5, n_guest: 3, more_runs: 1, run_ms: Number((T + 2000n * MS) / MS) }));
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
    expect(reads).toBe(3); // 3 + 3 + 1 agents
    expect(await refreshAllLatest(paged, 3)).toBe(0);
  });
});
