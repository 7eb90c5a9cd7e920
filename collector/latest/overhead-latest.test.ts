// refreshLatest's delete, on the in-memory store (which matches a where as InfluxDB does: a
// missing tag equals ''; collector/store/store.influx.test.ts holds the two stores alike): a
// latest point losing a field is deleted with exactly its own series, not every series that
// has its tags and more. Here vm1's series without a variant is refreshed, and vm1's series of
// variant 'patched' (same tags and one more), whose newest overhead point is older than the
// refresh's range, must keep its latest point untouched.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { StorePoint } from '../store/store.js';
import { LATEST_TIME_NS, refreshLatest } from './overhead-latest.js';

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
