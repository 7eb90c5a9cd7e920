// The change detector's rules against the in-memory store: a guest's overhead series with one
// step gets one overhead_change point, at the first run of the new level, naming the fact that
// changed with it; fed run by run it writes the same points as read whole; a point no analysis
// gives any more is removed; a second analysis of unchanged data writes and deletes nothing; a
// series shorter than two minimum segments is "too short", and only the newest maxRuns runs are
// analysed. Expected means are computed here from the literals. Unit tier: no InfluxDB (the
// real-influxd tests are changes.influx.test.ts and test/changes.e2e.test.ts).
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { StorePoint } from '../store/store.js';
import type { WrittenResult } from '../listener.js';
import { createChangeDetector } from './index.js';

const HOUR = 3_600_000_000_000n;
const T0 = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - 30n * 24n * HOUR; // a month ago: inside the lookback
const KEY = { group: 'g', agent: 'vm', test: 'cpu', profile: 'seed' };
const at = (i: number) => T0 + BigInt(i) * 6n * HOUR;
// +10 % for 12 runs, then +40 %, each with a small deterministic wobble.
const WOBBLE = [0.3, -0.2, 0.1, -0.4, 0.2, 0, -0.1, 0.4, -0.3, 0.1, -0.2, 0.2];
const OVERHEAD = [...WOBBLE.map((w) => 10 + w), ...WOBBLE.map((w) => 40 + w)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function overheadPoint(i: number): StorePoint {
  return {
    measurement: 'overhead',
    tags: { ...KEY, role: 'guest', virt: 'kvm', metric: 'events_per_sec', baseline_agent: 'host' },
    fields: { overhead_pct: OVERHEAD[i]!, baseline_value: 100, ratio: 1 / (1 + OVERHEAD[i]! / 100), run_id: `r${i}`, baseline_run_id: `b${i}`, threads: 1 },
    timestamp: at(i).toString(),
  };
}

const agentInfo = (i: number, kernel: string): StorePoint => ({
  measurement: 'agent_info',
  tags: { group: 'g', agent: 'vm' },
  fields: { kernel },
  timestamp: (at(i) - 60_000_000_000n).toString(),
});

const result = (i: number): WrittenResult => ({ tags: { ...KEY, role: 'guest' }, fields: { run_id: `r${i}` }, timestamp_ns: at(i).toString() });

async function stored(facts = true): Promise<MemoryStore> {
  const store = new MemoryStore();
  if (facts) await store.write([agentInfo(0, '6.1'), agentInfo(12, '6.12')]);
  await store.write(OVERHEAD.map((_, i) => overheadPoint(i)));
  return store;
}

describe('change detector (in-memory store)', () => {
  it('one step: one change at the first run of the new level, with the fact that changed', async () => {
    const store = await stored();
    expect(await createChangeDetector({ store }).recompute(KEY)).toBe(1);
    const [c, ...more] = store.all('overhead_change');
    expect(more).toEqual([]);
    expect(c!.timeNs).toBe(at(12));
    expect(c!.tags).toMatchObject({ ...KEY, metric: 'events_per_sec', baseline_agent: 'host', kind: 'regression', cause: 'guest' });
    expect(c!.fields).toMatchObject({
      run_id: 'r12',
      before_run_id: 'r11',
      n_before: 12,
      n_after: 12,
      facts_changed: 'kernel',
      facts_detail: 'kernel: 6.1 → 6.12',
    });
    expect(c!.fields.before_pct).toBeCloseTo(mean(OVERHEAD.slice(0, 12)), 9);
    expect(c!.fields.after_pct).toBeCloseTo(mean(OVERHEAD.slice(12)), 9);
  });

  it('fed run by run (results as they arrive) it writes what reading the series whole writes', async () => {
    const whole = await stored();
    await createChangeDetector({ store: whole }).recompute(KEY);
    const store = new MemoryStore();
    await store.write([agentInfo(0, '6.1')]);
    const det = createChangeDetector({ store });
    for (let i = 0; i < OVERHEAD.length; i++) {
      if (i === 12) await store.write([agentInfo(12, '6.12')]);
      await store.write([overheadPoint(i)]);
      await det.onResultsWritten([result(i)]);
    }
    expect(store.all('overhead_change')).toEqual(whole.all('overhead_change'));
    // The verdicts too: the first runs' "too short" verdict (needed) was overwritten whole, no
    // field of it left (the store keeps a field an overwrite lacks, as InfluxDB does) …
    expect(store.all('overhead_series')).toEqual(whole.all('overhead_series'));
    // … so the next analysis of the same data finds its answer stored and writes nothing.
    const writes = store.writes.length;
    await det.onResultsWritten([result(OVERHEAD.length - 1)]);
    expect(store.writes.length).toBe(writes);
  });

  it('fed run by run, a change that later runs take back is deleted', async () => {
    const store = await stored(false);
    const det = createChangeDetector({ store });
    await det.onResultsWritten([result(23)]);
    expect(store.all('overhead_change')).toHaveLength(1);
    // The runs of the new level are recomputed (their baseline was replaced) back at +10 %.
    await store.write(
      OVERHEAD.slice(12).map((_, j) => ({ ...overheadPoint(12 + j), fields: { ...overheadPoint(12 + j).fields, overhead_pct: 10 + WOBBLE[j]! } })),
    );
    for (let i = 12; i < OVERHEAD.length; i++) await det.onResultsWritten([result(i)]);
    expect(store.all('overhead_change')).toEqual([]);
  });

  it('a change point no analysis gives any more (left by a crash or another collector) is removed', async () => {
    const store = await stored(false);
    await store.write([
      {
        measurement: 'overhead_change',
        tags: { ...KEY, metric: 'events_per_sec', baseline_agent: 'host' },
        fields: { run_id: 'bogus' },
        timestamp: at(5).toString(),
      },
    ]);
    await createChangeDetector({ store }).recompute(KEY);
    expect(store.all('overhead_change').map((c) => c.fields.run_id)).toEqual(['r12']);
  });

  it('a second recompute of unchanged data writes nothing and deletes nothing', async () => {
    const store = await stored();
    const det = createChangeDetector({ store });
    await det.recompute(KEY);
    const writes = store.writes.length;
    const before = [...store.all('overhead_change'), ...store.all('overhead_series')];
    expect(await det.recompute(KEY)).toBe(1);
    expect(store.writes.length).toBe(writes);
    expect([...store.all('overhead_change'), ...store.all('overhead_series')]).toEqual(before);
  });

  it('fewer runs than two minimum segments (2 × 3) is too short; six are analysed', async () => {
    const store = new MemoryStore();
    await store.write(OVERHEAD.slice(0, 5).map((_, i) => overheadPoint(i)));
    expect(await createChangeDetector({ store }).recompute(KEY)).toBe(0);
    expect(store.all('overhead_series').map((r) => r.fields)).toEqual([
      expect.objectContaining({ status: 'too-short', runs: 5, needed: 6, first_run_id: 'r0', last_run_id: 'r4' }),
    ]);
    await store.write([overheadPoint(5)]);
    await createChangeDetector({ store }).recompute(KEY);
    expect(store.all('overhead_series').map((r) => r.fields)).toEqual([expect.objectContaining({ status: 'analysed', runs: 6, changes: 0 })]);
  });

  it('only the newest maxRuns runs are analysed: the 12 runs of the new level alone hold no change', async () => {
    const store = await stored();
    expect(await createChangeDetector({ store, maxRuns: 12 }).recompute(KEY)).toBe(0);
    expect(store.all('overhead_change')).toEqual([]);
    expect(store.all('overhead_series').map((r) => r.fields)).toEqual([
      expect.objectContaining({ status: 'analysed', runs: 12, first_run_id: 'r12', last_run_id: 'r23' }),
    ]);
  });

  it('runs older than the lookback are not analysed', async () => {
    const store = await stored();
    // The lookback starts between run 11 and run 12 (3 h after run 11).
    const lookbackMs = Number((BigInt(Date.now()) * 1_000_000n - (at(11) + 3n * HOUR)) / 1_000_000n);
    expect(await createChangeDetector({ store, lookbackMs }).recompute(KEY)).toBe(0);
    expect(store.all('overhead_series').map((r) => r.fields)).toEqual([expect.objectContaining({ runs: 12, first_run_id: 'r12' })]);
  });
});
