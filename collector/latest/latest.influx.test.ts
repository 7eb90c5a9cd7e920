// overhead_latest is a shortcut and must give the slow path's answer (issue 26). Real influxd;
// the overhead points come from the real overhead calculator over sysbench trials delivered run
// by run (a baseline run late, trials out of order), and the latest keeper after it, as the
// collector chains them. Checked against:
// - every `overhead` series' newest point, found here in JS from all of its points;
// - the Overview's "Current overhead" panel as it was (last() of every field over the range of
//   `overhead`), interpolated as Grafana does, against the panel that reads overhead_latest:
//   over the whole span, over a range a guest that reported once has left (it must drop off),
//   and over a range with no data at all;
// - the start-time refresh filling an emptied overhead_latest (a database from before it).
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/stats/random.js';
import { interpolate, type VariableValue } from '../../grafana/interpolate.js';
import { as, from, last } from '../../grafana/influxql.js';
import { currentOverhead } from '../../grafana/dashboards/overview.js';
import { variantOverhead } from '../../grafana/dashboards/variants.js';
import { createOverheadCalculator } from '../overhead/index.js';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { writeTrials, type TrialSpec } from '../../test/support/sysbench-points.js';
import type { Store } from '../store/store.js';
import { createLatestKeeper, LATEST_SERIES_TAGS, LATEST_TIME_NS, refreshAllLatest, refreshLatest } from './overhead-latest.js';
import { seriesRows } from '../../test/support/stored-points.js';

const DB = 'latest';
const HOUR_MS = 3_600_000;
const WINDOW_MS = 24 * HOUR_MS;
const T0_MS = Date.UTC(2026, 0, 1);
const RUNS = 8;
const db = usePrivateInfluxd(DB);

type Json = Record<string, unknown>;

/** Run i (6-hourly) of the baseline and the guests; vm-once runs only at run 0; vm-two also runs profile 'quick', 1 h later. */
function runTrials(i: number): TrialSpec[][] {
  const r = mulberry32(11 + i);
  const at = BigInt(T0_MS + i * 6 * HOUR_MS) * 1_000_000n;
  const run = (agent: string, role: 'baseline' | 'guest', speed: number, offsetMin: number, profile = 'seed'): TrialSpec[] =>
    [0, 1, 2].map((t) => ({
      agent,
      group: 'g',
      role,
      test: 'cpu',
      profile,
      runId: `${agent}-${profile}-r${i}`,
      trial: t + 1,
      timeNs: at + BigInt(offsetMin + t) * 60_000_000_000n,
      values: { events_per_sec: 1000 * speed * (1 + 0.04 * (r() - 0.5)), latency_avg_ms: (1 / speed) * (1 + 0.04 * (r() - 0.5)) },
    }));
  const out = [run('native', 'baseline', 1, 5), run('native', 'baseline', 1.1, 65, 'quick')];
  for (let g = 0; g < 3; g++) out.push(run(`vm${g}`, 'guest', 0.7 + 0.1 * g, 10 + g));
  out.push(run('vm2', 'guest', 0.75, 70, 'quick'));
  if (i === 0) out.push(run('vm-once', 'guest', 0.5, 20));
  if (i === 3) out[2]!.reverse(); // vm0's trials out of order
  return out;
}

const query = (sql: string) => seriesRows(db.url, DB, sql, 'ns');

/** The panel as it was before overhead_latest: last() of each column over the range of `overhead`. */
const slowPanel = from('overhead')
  .whereTimeFilter()
  .whereVars('group', 'agent', 'virt', 'test', 'variant', 'metric')
  .select(
    ...(
      ['overhead_pct', 'ci_low_pct', 'ci_high_pct', 'ratio', 'n_guest', 'n_baseline', 'verdict', 'margin_pct', 'noise_floor_pct', 'runs_baseline'] as const
    ).map((c) => as(last(c), c)),
  )
  .groupBy('group', 'agent', 'virt', 'test', 'metric', 'variant', 'baseline_agent');

/** The Variants dashboard's "Overhead per variant (latest)" as it was. */
const slowVariantPanel = from('overhead')
  .whereTimeFilter()
  .whereVars('group', 'agent', 'virt', 'test', 'variant', 'metric')
  .select(...(['overhead_pct', 'ci_low_pct', 'ci_high_pct', 'n_guest', 'verdict'] as const).map((c) => as(last(c), c)))
  .groupBy('test', 'metric', 'variant', 'agent');

const all = (values: string[]): VariableValue => ({ multi: true, values });
const VARS: Record<string, VariableValue> = {
  group: all(['g']),
  agent: all(['vm0', 'vm1', 'vm2', 'vm-once']),
  virt: all(['kvm']),
  test: all(['cpu']),
  variant: all(['default']),
  metric: all(['events_per_sec', 'latency_avg_ms']),
};

/** A panel's table: one entry per row, by its group-by tags, without the time column (and run_ms). */
async function panelRows(sql: string, fromMs: number, toMs: number): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  for (const s of await query(interpolate(sql, { fromMs, toMs }, VARS))) {
    expect(s.rows).toHaveLength(1);
    const { time: _t, run_ms: _r, ...row } = s.rows[0]!;
    out.set(JSON.stringify(Object.entries(s.tags).sort()), row);
  }
  return out;
}

/** Each overhead series' newest point (fields and time in ms), found from all of its points. */
async function newestBySeries(): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  for (const s of await query('SELECT * FROM "overhead" GROUP BY *')) {
    // Every point has run_id: refreshLatest finds each series' newest time from it alone.
    for (const row of s.rows) expect(row.run_id).toBeTypeOf('string');
    const newest = s.rows.reduce((a, b) => (BigInt(String(b.time)) > BigInt(String(a.time)) ? b : a));
    const { time, ...fields } = newest;
    out.set(JSON.stringify(LATEST_SERIES_TAGS.map((t) => s.tags[t] ?? '')), { ...fields, run_ms: Number(BigInt(String(time)) / 1_000_000n) });
  }
  return out;
}

async function latestBySeries(): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  for (const s of await query('SELECT * FROM "overhead_latest" GROUP BY *')) {
    expect(s.rows).toHaveLength(1);
    const { time, ...fields } = s.rows[0]!;
    expect(BigInt(String(time))).toBe(LATEST_TIME_NS);
    out.set(JSON.stringify(LATEST_SERIES_TAGS.map((t) => s.tags[t] ?? '')), fields);
  }
  return out;
}

describe('overhead_latest gives the slow path’s answer (real influxd)', () => {
  it('delivered run by run, the baseline late: each series’ latest point is its newest overhead point, after every batch', async () => {
    const calc = createOverheadCalculator({ store: db.store, windowMs: WINDOW_MS });
    const keeper = createLatestKeeper({ store: db.store, windowMs: WINDOW_MS });
    for (let i = 0; i < RUNS; i++) {
      const [baseline, quickBaseline, ...guests] = runTrials(i);
      // Guests first, the baselines in a later batch (as when the native host is slower).
      for (const batch of [guests.flat(), [...baseline!, ...quickBaseline!]]) {
        const written = await writeTrials(db.url, DB, batch);
        await calc.onResultsWritten(written);
        await keeper.onResultsWritten!(written);
        // After every batch, not only at the end: the guests' batches refresh only their guests' series.
        expect(await latestBySeries()).toEqual(await newestBySeries());
      }
    }
    const want = await newestBySeries();
    // 4 guests × 2 metrics on seed, vm2 × 2 metrics on quick.
    expect(want.size).toBe(10);
    expect(await latestBySeries()).toEqual(want);
  });

  it('the Current overhead and Overhead per variant panels equal last() over the range of overhead, and a guest that reported once drops off', async () => {
    const endMs = T0_MS + RUNS * 6 * HOUR_MS;
    const fast = currentOverhead.toString();
    const slow = slowPanel.toString();
    // The whole span: every guest, vm-once too; vm2's row is its newest series (profile quick).
    const whole = await panelRows(fast, T0_MS - HOUR_MS, endMs);
    expect(whole.size).toBe(8);
    expect(whole).toEqual(await panelRows(slow, T0_MS - HOUR_MS, endMs));
    // From the second run on: vm-once's only run is before the range, in neither answer.
    const later = await panelRows(fast, T0_MS + 3 * HOUR_MS, endMs);
    expect([...later.keys()].filter((k) => k.includes('vm-once'))).toEqual([]);
    expect(later.size).toBe(6);
    expect(later).toEqual(await panelRows(slow, T0_MS + 3 * HOUR_MS, endMs));
    // The Variants dashboard's latest overhead per variant, the same way.
    const variants = await panelRows(variantOverhead.toString(), T0_MS + 3 * HOUR_MS, endMs);
    expect(variants.size).toBe(6);
    expect(variants).toEqual(await panelRows(slowVariantPanel.toString(), T0_MS + 3 * HOUR_MS, endMs));
    // A range with no data: nothing, from either.
    expect((await panelRows(fast, endMs + WINDOW_MS, endMs + 7 * WINDOW_MS)).size).toBe(0);
    expect((await panelRows(slow, endMs + WINDOW_MS, endMs + 7 * WINDOW_MS)).size).toBe(0);
  });

  it('emptied (a database from before it), the start-time refresh fills it again, in pages of agents as in one read; a second refresh writes nothing', async () => {
    const before = await latestBySeries();
    await query('DROP MEASUREMENT "overhead_latest"');
    expect((await latestBySeries()).size).toBe(0);
    expect(await refreshLatest(db.store)).toBe(before.size);
    expect(await latestBySeries()).toEqual(before);
    // The collector's start: pages of 3 of the 4 guests (the last page short).
    await query('DROP MEASUREMENT "overhead_latest"');
    expect(await refreshAllLatest(db.store, 3)).toBe(before.size);
    expect(await latestBySeries()).toEqual(before);
    expect(await refreshAllLatest(db.store, 3)).toBe(0);
    expect(await refreshLatest(db.store)).toBe(0);
  });

  it('latest points holding a field their new newest point lacks are replaced whole, not merged: in one delete, whatever their number', async () => {
    const before = await latestBySeries();
    const keys = [...before.keys()];
    const tagsOf = (key: string) =>
      Object.fromEntries(LATEST_SERIES_TAGS.map((t, i) => [t, (JSON.parse(key) as string[])[i]!]).filter(([, v]) => v !== '')) as Record<string, string>;
    const at = LATEST_TIME_NS.toString();
    // On every series a field no overhead point has, as if each newest point had once had an interval it has lost since.
    await db.store.write(keys.map((key) => ({ measurement: 'overhead_latest' as const, tags: tagsOf(key), fields: { stale_pct: 1 }, timestamp: at })));
    expect((await latestBySeries()).get(keys[0]!)).toHaveProperty('stale_pct', 1);
    const calls: string[] = [];
    const s = db.store;
    const counted: Store = {
      write: (p) => (calls.push('write'), s.write(p)),
      select: (q) => (calls.push('select'), s.select(q)),
      selectMany: (q) => (calls.push('selectMany'), s.selectMany(q)),
      tagValues: (m, k, w) => (calls.push('tagValues'), s.tagValues(m, k, w)),
      delete: (m, w) => (calls.push('delete'), s.delete(m, w)),
    };
    expect(await refreshLatest(counted)).toBe(keys.length);
    expect(calls).toEqual(['selectMany', 'selectMany', 'delete', 'write']);
    const after = await latestBySeries();
    expect(after.size).toBe(keys.length);
    for (const key of keys) expect(after.get(key)).toEqual(before.get(key));
  });
});
