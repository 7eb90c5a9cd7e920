// What `report --changes` decides, against the in-memory store (test/support/memory-store.ts):
// which guests' series it lists for a period (a run in the period, the group asked for, the
// metrics asked for), which change points it attaches to which series (those of the period,
// by guest, metric, baseline and thread count), and that a guest's test the collector has not
// given a verdict yet is analysed on the spot. The stored verdicts are written by the change
// detector itself, and the fast path (what the collector stored) must say what the slow path
// (every series analysed here) says. Expected runs, times and means are computed here from the
// literals. Unit tier: no InfluxDB (the real-influxd test is test/report-changes-stored.test.ts).
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { StorePoint } from '../store/store.js';
import { createChangeDetector } from './index.js';
import { changesReport, type ChangeReportSeries } from './report.js';

const HOUR = 3_600_000_000_000n;
const MINUTE = 60_000_000_000n;
const T0 = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - 30n * 24n * HOUR; // a month ago: inside the lookback
const at = (i: number) => T0 + BigInt(i) * 6n * HOUR;
const msOf = (ns: bigint) => Number(ns / 1_000_000n);
const WOBBLE = [0.3, -0.2, 0.1, -0.4, 0.2, 0, -0.1, 0.4, -0.3, 0.1, -0.2, 0.2];
const STEADY = [...WOBBLE, ...WOBBLE].map((w) => 10 + w);
/** +10 % for 12 runs, then +40 %: one change, at run 12. */
const SHIFT = [...WOBBLE.map((w) => 10 + w), ...WOBBLE.map((w) => 40 + w)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const METRICS = ['events_per_sec', 'latency_avg_ms'];

/** One guest's overhead points: runs `first`.. of the given levels, for both metrics; `threads` runs a minute later. */
function guest(group: string, agent: string, levels: readonly number[], first = 0, threads = 1): StorePoint[] {
  return levels.flatMap((pct, j) =>
    METRICS.map((metric) => ({
      measurement: 'overhead' as const,
      tags: { group, agent, test: 'cpu', profile: 'seed', role: 'guest', virt: 'kvm', metric, baseline_agent: 'host' },
      fields: { overhead_pct: pct, baseline_value: 100, run_id: `${agent}-${threads}-${first + j}`, baseline_run_id: `b${first + j}`, threads },
      timestamp: (at(first + j) + BigInt(threads - 1) * MINUTE).toString(),
    })),
  );
}

const keyOf = (group: string, agent: string) => ({ group, agent, test: 'cpu', profile: 'seed' });
const GUESTS = [keyOf('g', 'vm-shift'), keyOf('g', 'vm-steady'), keyOf('g', 'vm-short'), keyOf('h', 'vm-other')];

let store: MemoryStore;

/** The group's guests, their verdicts and change points stored as the collector stores them. */
beforeEach(async () => {
  store = new MemoryStore();
  await store.write([
    ...guest('g', 'vm-shift', SHIFT),
    // Steady at 4 threads: the same guest, metric and baseline; only the thread count tells it apart.
    ...guest('g', 'vm-shift', STEADY, 0, 4),
    ...guest('g', 'vm-steady', STEADY),
    ...guest('g', 'vm-short', STEADY.slice(0, 4), 20),
    ...guest('h', 'vm-other', SHIFT),
  ]);
  const detector = createChangeDetector({ store });
  for (const k of GUESTS) await detector.recompute(k);
});

/** Both paths, checked equal; the fast one returned. */
async function report(o: { sinceMs: number; group?: string; metrics?: string[] }): Promise<ChangeReportSeries[]> {
  const fast = await changesReport({ store, ...o });
  expect(await changesReport({ store, ...o, recompute: true })).toEqual(fast);
  return fast;
}

/** agent, metric, threads, runs, needed (too short), change count. */
const summary = (series: readonly ChangeReportSeries[]) =>
  series.map((s) => [s.key.agent, s.metric, s.threads, s.runs, s.tooShort?.needed ?? null, s.changes.length]);

describe('report --changes (in-memory store)', () => {
  it('lists every series of the group with its verdict, and the change at the first run of the new level', async () => {
    const series = await report({ sinceMs: msOf(T0) - 3_600_000, group: 'g' });
    expect(summary(series)).toEqual([
      ['vm-shift', 'events_per_sec', 1, 24, null, 1],
      ['vm-shift', 'events_per_sec', 4, 24, null, 0],
      ['vm-shift', 'latency_avg_ms', 1, 24, null, 1],
      ['vm-shift', 'latency_avg_ms', 4, 24, null, 0],
      ['vm-short', 'events_per_sec', 1, 4, 6, 0],
      ['vm-short', 'latency_avg_ms', 1, 4, 6, 0],
      ['vm-steady', 'events_per_sec', 1, 24, null, 0],
      ['vm-steady', 'latency_avg_ms', 1, 24, null, 0],
    ]);
    const change = series.find((s) => s.key.agent === 'vm-shift' && s.metric === 'events_per_sec' && s.threads === 1)!.changes[0]!;
    expect(change.time).toBe(new Date(msOf(at(12))).toISOString());
    expect(change.tags).toMatchObject({ group: 'g', agent: 'vm-shift', metric: 'events_per_sec', baseline_agent: 'host', kind: 'regression' });
    expect(change.fields).toMatchObject({ run_id: 'vm-shift-1-12', before_run_id: 'vm-shift-1-11', n_before: 12, n_after: 12 });
    expect(change.fields.before_pct).toBeCloseTo(mean(SHIFT.slice(0, 12)), 9);
    expect(change.fields.after_pct).toBeCloseTo(mean(SHIFT.slice(12)), 9);
    expect(change.fields).not.toHaveProperty('threads');
  });

  it('a period after the change lists the series without it; a period after every run lists nothing', async () => {
    const later = await report({ sinceMs: msOf(at(20)), group: 'g' });
    expect(summary(later)).toEqual(summary(await report({ sinceMs: 0, group: 'g' })).map((s) => [...s.slice(0, 5), 0]));
    // Every guest's last run is run 23 (at 4 threads a minute later): a period from run 24 on holds none.
    expect(await report({ sinceMs: msOf(at(24)), group: 'g' })).toEqual([]);
  });

  it('only the group asked for; without one, every group', async () => {
    expect(new Set((await report({ sinceMs: 0, group: 'h' })).map((s) => s.key.agent))).toEqual(new Set(['vm-other']));
    expect(new Set((await report({ sinceMs: 0 })).map((s) => `${s.key.group}/${s.key.agent}`))).toEqual(
      new Set(['g/vm-shift', 'g/vm-steady', 'g/vm-short', 'h/vm-other']),
    );
  });

  it('only the metrics asked for', async () => {
    const series = await report({ sinceMs: 0, group: 'g', metrics: ['latency_avg_ms'] });
    expect(series.length).toBe(4);
    expect(series.every((s) => s.metric === 'latency_avg_ms')).toBe(true);
  });

  it("a guest's test with overhead but no stored verdict is analysed on the spot, and the report writes nothing", async () => {
    const whole = await report({ sinceMs: 0, group: 'g' });
    await store.delete('overhead_series', { tags: { agent: 'vm-shift' } });
    const writes = store.writes.length;
    expect(await report({ sinceMs: 0, group: 'g' })).toEqual(whole);
    expect(store.writes.length).toBe(writes);
    expect(store.all('overhead_series').filter((r) => r.tags.agent === 'vm-shift')).toEqual([]);
  });
});
