// A group's analysis in a bounded number of requests (issue 26): a baseline run of 50 guests is
// analysed 40 guests of the test at a time, each 40 with one read, one write, the deletes and one
// check, and stores exactly what analysing each guest alone stores. The store is the in-memory one
// wrapped to count requests (a real InfluxDB answers the same selects: changes.influx.test.ts and
// test/changes.e2e.test.ts). Mutations tried: one guest a read by default (as before this change):
// the counts fail (8 → 152 requests); every guest's facts given to each (no split by agent in
// guestRows): the equality with each guest analysed alone and with factsWindow fails.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { Measurement } from '../../schema/influx.js';
import type { Store, StorePoint } from '../store/store.js';
import type { WrittenResult } from '../listener.js';
import { factsWindow } from '../facts/index.js';
import { createChangeDetector, readOverheadSeries, DEFAULT_LOOKBACK_MS, GUESTS_PER_READ } from './index.js';
import { guestRows, guestsSelections, queryOverhead } from './series.js';

const HOUR = 3_600_000_000_000n;
const DAY = 24n * HOUR;
const T0 = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - 30n * DAY; // a month ago: inside the lookback
const at = (i: number) => T0 + BigInt(i) * 6n * HOUR;
const GUESTS = 50;
const RUNS = 24;
const guest = (g: number) => `vm${String(g).padStart(2, '0')}`;
const KEY = (g: number, test = 'cpu') => ({ group: 'g', agent: guest(g), test, profile: 'seed' });

/** Deterministic wobble in [-0.5, 0.5). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32 - 0.5;
  };
}

/**
 * Guest g: two metrics against one baseline; every third guest steps from +10 % to +40 % at run
 * 12 with a kernel update; every fifth has its only older facts before the lookback (the facts in
 * force when the window opens); guest 0 also has a `memory` test the baseline run does not touch.
 */
function guestPoints(g: number): StorePoint[] {
  const r = lcg(g + 1);
  const steps = g % 3 === 0;
  const points: StorePoint[] = [];
  const info = (t: bigint, kernel: string): StorePoint => ({
    measurement: 'agent_info',
    tags: { group: 'g', agent: guest(g) },
    fields: { kernel, cpus: 2 },
    timestamp: t.toString(),
  });
  if (g % 5 === 0) points.push(info(T0 - BigInt(DEFAULT_LOOKBACK_MS) * 1_000_000n - DAY, '5.10'));
  else points.push(info(at(0) - HOUR, '6.1'));
  if (steps) points.push(info(at(12) - HOUR, '6.12'));
  const tests = g === 0 ? ['cpu', 'memory'] : ['cpu'];
  for (const test of tests)
    for (let i = 0; i < RUNS; i++)
      for (const metric of ['events_per_sec', 'latency_ms_p95']) {
        const pct = (steps && i >= 12 ? 40 : 10) + r();
        points.push({
          measurement: 'overhead',
          tags: { ...KEY(g, test), role: 'guest', virt: 'kvm', metric, baseline_agent: 'host' },
          fields: {
            overhead_pct: pct,
            baseline_value: 100,
            ratio: 1 / (1 + pct / 100),
            run_id: `${guest(g)}-${test}-${i}`,
            baseline_run_id: `b${i}`,
            threads: 1,
          },
          timestamp: at(i).toString(),
        });
      }
  return points;
}

/** A change point no analysis gives (left by a crash) for guest 1, and one for the untouched memory test. */
const LEFTOVERS: StorePoint[] = [
  {
    measurement: 'overhead_change',
    tags: { ...KEY(1), metric: 'events_per_sec', baseline_agent: 'host' },
    fields: { run_id: 'bogus' },
    timestamp: at(5).toString(),
  },
  {
    measurement: 'overhead_change',
    tags: { ...KEY(0, 'memory'), metric: 'events_per_sec', baseline_agent: 'host' },
    fields: { run_id: 'kept' },
    timestamp: at(5).toString(),
  },
];

async function fleet(): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (let g = 0; g < GUESTS; g++) await store.write(guestPoints(g));
  await store.write(LEFTOVERS);
  return store;
}

const baselineRun: WrittenResult = {
  tags: { group: 'g', agent: 'host', role: 'baseline', test: 'cpu', profile: 'seed' },
  fields: { run_id: 'b23' },
  timestamp_ns: at(RUNS - 1).toString(),
};

type Call = { op: string; measurement?: Measurement; agents?: number };

/** The store's requests, one entry each (a selectMany is one request, whatever it holds). */
function counting(store: Store, calls: Call[], onCheck?: (n: number) => Promise<void>): Store {
  let reads = 0;
  return {
    write: (p) => (calls.push({ op: 'write' }), store.write(p)),
    select: (q) => (calls.push({ op: 'select', measurement: q.measurement }), store.select(q)),
    selectMany: async (q) => {
      const agents = q[0]?.where?.tags?.agent;
      calls.push({ op: 'selectMany', agents: typeof agents === 'string' ? 1 : agents?.length });
      await onCheck?.(reads++);
      return store.selectMany(q);
    },
    tagValues: (m, k, w) => (calls.push({ op: 'tagValues', measurement: m }), store.tagValues(m, k, w)),
    delete: (m, w) => (calls.push({ op: 'delete', measurement: m }), store.delete(m, w)),
  };
}

const derived = (s: MemoryStore) => ({ changes: s.all('overhead_change'), series: s.all('overhead_series') });

describe("a group's change points in few requests", () => {
  it('a 50-guest baseline run: 8 requests (152 one guest a read), and the points of analysing each guest alone', async () => {
    expect(GUESTS_PER_READ).toBe(10);
    const store = await fleet();
    const calls: Call[] = [];
    await createChangeDetector({ store: counting(store, calls), guestsPerRead: 40 }).onResultsWritten([baselineRun]);
    // The group's guests; then each 40 and the other 10: a read, a write, the deletes (guest 1's
    // leftover, in the first 40), a check — the next chunk's read sent as soon as this one's arrived.
    expect(calls).toEqual([
      { op: 'tagValues', measurement: 'overhead' },
      { op: 'selectMany', agents: 40 },
      { op: 'selectMany', agents: 10 },
      { op: 'write' },
      { op: 'delete', measurement: 'overhead_change' },
      { op: 'selectMany', agents: 40 },
      { op: 'write' },
      { op: 'selectMany', agents: 10 },
    ]);

    // The slow path: each guest alone (one guest a read), on the same data.
    const alone = await fleet();
    const det = createChangeDetector({ store: alone, guestsPerRead: 1 });
    let total = 0;
    for (let g = 0; g < GUESTS; g++) total += await det.recompute(KEY(g));
    expect(derived(store)).toEqual(derived(alone));
    // Every third guest's step in each of its two metrics, each naming the kernel update.
    const changes = store.all('overhead_change').filter((c) => c.tags.test === 'cpu');
    expect(total).toBe(2 * Math.ceil(GUESTS / 3));
    expect(changes).toHaveLength(total);
    for (const c of changes) {
      expect(Number(c.tags.agent!.slice(2)) % 3).toBe(0);
      expect(c.timeNs).toBe(at(12));
      expect(c.fields.facts_detail).toBe(Number(c.tags.agent!.slice(2)) % 5 === 0 ? 'kernel: 5.10 → 6.12' : 'kernel: 6.1 → 6.12');
    }
    expect(store.all('overhead_series').filter((s) => s.tags.test === 'cpu')).toHaveLength(2 * GUESTS);
    // The memory test was not the baseline run's: its leftover stays, no verdict is written for it.
    expect(
      store
        .all('overhead_change')
        .filter((c) => c.tags.test === 'memory')
        .map((c) => c.fields.run_id),
    ).toEqual(['kept']);
    expect(store.all('overhead_series').filter((s) => s.tags.test === 'memory')).toEqual([]);

    // Unchanged data: the guests and one read per 40, nothing written or deleted.
    calls.length = 0;
    await createChangeDetector({ store: counting(store, calls), guestsPerRead: 40 }).onResultsWritten([baselineRun]);
    expect(calls.map((c) => c.op)).toEqual(['tagValues', 'selectMany', 'selectMany']);
    expect(derived(store)).toEqual(derived(alone));
  });

  it('each guest read with the others sees what it reads alone: its facts and its overhead rows', async () => {
    const store = await fleet();
    const since = BigInt(Date.now()) * 1_000_000n - BigInt(DEFAULT_LOOKBACK_MS) * 1_000_000n;
    const guests = { group: 'g', test: 'cpu', profile: 'seed', agents: Array.from({ length: GUESTS }, (_, g) => guest(g)) };
    const read = guestRows(guests, await store.selectMany(guestsSelections(guests, since)));
    expect([...read.keys()]).toEqual(guests.agents);
    for (let g = 0; g < GUESTS; g++) {
      const { history, rows } = read.get(guest(g))!;
      expect(history).toEqual(await factsWindow(store, 'g', guest(g), since));
      expect(rows).toEqual(await queryOverhead(store, KEY(g), since));
      expect(history[0]!.facts.kernel).toBe(g % 5 === 0 ? '5.10' : '6.1');
      expect(rows).toHaveLength(2 * RUNS);
    }
    // And the analysis of one guest is that of its series read alone.
    for (const g of [0, 3, 5])
      expect((await createChangeDetector({ store }).analyse(KEY(g))).map((a) => a.series)).toEqual(await readOverheadSeries(store, KEY(g), since));
  });

  it('a guest another collector wrote meanwhile is analysed again, alone; the others are not', async () => {
    const store = await fleet();
    const reference = await fleet();
    await createChangeDetector({ store: reference, guestsPerRead: 1 }).onResultsWritten([baselineRun]);
    const calls: Call[] = [];
    // Just before the first check: another collector's point for guest 7 (an older answer of its own).
    const foreign: StorePoint = {
      measurement: 'overhead_change',
      tags: { ...KEY(7), metric: 'latency_ms_p95', baseline_agent: 'host' },
      fields: { run_id: 'other' },
      timestamp: at(3).toString(),
    };
    // (selectMany 0 reads the first 40, 1 the other 10, 2 checks the first 40.)
    const det = createChangeDetector({ store: counting(store, calls, async (n) => (n === 2 ? store.write([foreign]) : undefined)), guestsPerRead: 40 });
    await det.onResultsWritten([baselineRun]);
    expect(calls).toEqual([
      { op: 'tagValues', measurement: 'overhead' },
      { op: 'selectMany', agents: 40 },
      { op: 'selectMany', agents: 10 },
      { op: 'write' },
      { op: 'delete', measurement: 'overhead_change' },
      { op: 'selectMany', agents: 40 },
      // Guest 7 again: its read, its delete of the foreign point, its check.
      { op: 'selectMany', agents: 1 },
      { op: 'delete', measurement: 'overhead_change' },
      { op: 'selectMany', agents: 1 },
      // Then the other 10, read before guest 7's point came.
      { op: 'write' },
      { op: 'selectMany', agents: 10 },
    ]);
    expect(derived(store)).toEqual(derived(reference));
  });

  it("a chunk that fails ends the analysis with its error; the next chunk's read, already sent and failing too, is no unhandled rejection", async () => {
    const store = await fleet();
    const calls: Call[] = [];
    const counted = counting(store, calls);
    let reads = 0;
    const failing: Store = {
      ...counted,
      // The second read (the other 10, sent while the first 40 are analysed) fails after a while.
      selectMany: (q) =>
        ++reads === 2 ? new Promise((_, reject) => setTimeout(() => reject(new Error('read of the next chunk failed')), 5)) : counted.selectMany(q),
      write: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('write refused');
      },
    };
    await expect(createChangeDetector({ store: failing, guestsPerRead: 40 }).onResultsWritten([baselineRun])).rejects.toThrow('write refused');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reads).toBe(2);
  });

  it('refuses a guestsPerRead that is not a whole number of at least 1', () => {
    for (const bad of [0, 1.5, Number.NaN])
      expect(() => createChangeDetector({ store: new MemoryStore(), guestsPerRead: bad })).toThrow(/guestsPerRead must be a whole number of at least 1, got/);
  });
});
