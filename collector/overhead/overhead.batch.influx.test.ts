// The overhead calculator computes many guest runs from one read (batch.ts, issue 26): its points
// must be exactly those of computing each run alone. The slow path here is written out in the
// test, as the calculator did it before: per guest run, its trials read by run id within the
// window of its anchor, the baseline trials within the window of its start, the guest's earlier
// trials of the variant within HISTORY_MS, the pure compareGuestRun. Real influxd; the same runs delivered as one batch, as one batch per agent's
// run with the baseline late, and again (which must write nothing).
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../../test/support/fixture.js';
import { eq, timeBetween } from '../../schema/influxql.js';
import { mulberry32 } from '../../lib/stats/random.js';
import type { WrittenResult } from '../listener.js';
import { compareGuestRun, overheadFields, HISTORY_MS } from './compute.js';
import { createOverheadCalculator } from './index.js';
import { influxStore } from '../store/influx.js';
import type { Store, Where } from '../store/store.js';
import { computeSeriesWork, type SeriesWork } from './batch.js';
import { querySysbench } from '../../test/support/query-sysbench.js';
import { writeTrials, type TrialSpec } from '../../test/support/sysbench-points.js';

const fx = influxdFixture('overhead-batch-');

const HOUR = 3_600_000_000_000n;
const MIN = 60_000_000_000n;
const WINDOW = 24n * HOUR;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const GROUP = 'batch';
const GUESTS = 6;
const RUNS = 10; // 6-hourly: two and a half days

const client = (database: string) => new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database });

/** Run i of every agent: the baseline and GUESTS guests, 3 trials each, with noise; guest 2's trials of run 4 arrive out of order. */
function runTrials(i: number): TrialSpec[][] {
  const r = mulberry32(77 + i);
  const at = T0 + BigInt(i) * 6n * HOUR;
  const agentRun = (agent: string, role: 'baseline' | 'guest', speed: number, offset: bigint): TrialSpec[] =>
    [0, 1, 2].map((t) => ({
      agent,
      group: GROUP,
      role,
      test: 'cpu',
      runId: `${agent}-r${i}`,
      trial: t + 1,
      timeNs: at + offset + BigInt(t) * MIN,
      values: { events_per_sec: 1000 * speed * (1 + 0.03 * (r() - 0.5)), latency_avg_ms: (1 / speed) * (1 + 0.03 * (r() - 0.5)) },
    }));
  const out = [agentRun('native', 'baseline', 1, BigInt(Math.floor(r() * 20)) * MIN)];
  for (let g = 0; g < GUESTS; g++) out.push(agentRun(`vm${g}`, 'guest', 0.6 + g * 0.07, BigInt(Math.floor(r() * 40) - 20) * MIN));
  if (i === 4) out[3]!.reverse();
  return out;
}

const all = Array.from({ length: RUNS }, (_, i) => runTrials(i));

async function deliver(database: string, batches: TrialSpec[][]): Promise<void> {
  const calc = createOverheadCalculator({ store: influxStore({ url: fx.influxd.url, database }) });
  for (const b of batches) {
    const written: WrittenResult[] = await writeTrials(fx.influxd.url, database, b);
    await calc.onResultsWritten(written);
  }
}

type Point = Record<string, unknown>;

async function stored(database: string): Promise<Point[]> {
  const rows = (await client(database).query(`SELECT * FROM "overhead" GROUP BY *`)) as unknown as Array<Point & { time: { getNanoTime(): string } }>;
  const key = (p: Point) => `${String(p.agent)}${String(p.time)}${String(p.metric)}`;
  return rows.map((r): Point => ({ ...r, time: r.time.getNanoTime() })).sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** The slow path, run by run, on what `database` holds: the points each guest run should have. */
async function expected(database: string): Promise<Point[]> {
  const influx = client(database);
  const out: Point[] = [];
  for (const run of all.flat().filter((t) => t[0]!.role === 'guest')) {
    const anchor = run[0]!.timeNs;
    const where = (role: string, lo: bigint, hi: bigint) =>
      [eq('group', GROUP), eq('role', role), eq('test', 'cpu'), eq('profile', 'seed'), timeBetween(lo, hi)].join(' AND ');
    const trials = (await querySysbench(influx, database, `${where('guest', anchor - WINDOW, anchor + WINDOW)} AND ${eq('run_id', run[0]!.runId)}`)).filter(
      (r) => r.ok && r.threads === 1,
    );
    const start = trials.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), trials[0]!.timeNs);
    const baseline = (await querySysbench(influx, database, where('baseline', start - WINDOW, start + WINDOW))).filter((r) => r.ok && r.threads === 1);
    const first = trials.find((r) => r.timeNs === start)!;
    // The guest's earlier runs of the series (same agent and variant) within HISTORY_MS: its spread.
    const history = (
      await querySysbench(
        influx,
        database,
        `${where('guest', start - BigInt(HISTORY_MS) * 1_000_000n, start - 1n)} AND ${eq('agent', first.tags.agent!)} AND ${eq('variant', first.tags.variant!)}`,
      )
    ).filter((r) => r.ok && r.threads === 1);
    for (const c of compareGuestRun(trials, history, baseline))
      out.push({
        ...first.tags,
        metric: c.metric,
        baseline_agent: c.baselineAgent,
        time: String(start),
        ...overheadFields(c),
        run_id: first.runId,
        baseline_run_id: c.baselineRunId,
        threads: 1,
      });
  }
  return out;
}

/** The distinct time bounds of a delete: its DELETE statements (collector/store/influx.ts). */
function timeBounds(where: Where | readonly Where[]): string[] {
  const wheres: readonly Where[] = Array.isArray(where) ? where : [where as Where];
  return [...new Set(wheres.map((w) => `${w.from}..${w.to}`))];
}

/** A field no computation writes on the overhead points of `database` (of the runs `only` names): those runs must be replaced whole. */
async function staleEverywhere(database: string, only: (runId: string) => boolean = () => true): Promise<void> {
  const store = influxStore({ url: fx.influxd.url, database });
  const rows = (await store.select({ measurement: 'overhead' })).filter((r) => only(String(r.fields.run_id)));
  await store.write(rows.map((r) => ({ measurement: 'overhead' as const, tags: r.tags, fields: { stale_pct: 1 }, timestamp: r.timeNs.toString() })));
}

const everyBaselineRun: SeriesWork = {
  group: GROUP,
  test: 'cpu',
  profile: 'seed',
  threads: 1,
  runs: [],
  baselineAnchors: all.map((run) => run[0]![0]!.timeNs),
};

/** The stored points without null columns (fields other points of the measurement have). */
function comparable(points: Point[]): Point[] {
  return points.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null)));
}

describe('overhead computed in batches equals overhead computed run by run (real influxd)', () => {
  it('one batch of everything', async () => {
    await client('one').createDatabase('one');
    await deliver('one', [all.flat(2)]);
    const want = await expected('one');
    expect(want).toHaveLength(GUESTS * RUNS * 2);
    expect(comparable(await stored('one'))).toEqual(expect.arrayContaining(want.map((w) => expect.objectContaining(w))));
    expect(await stored('one')).toHaveLength(want.length);
  });

  it('each agent’s run its own batch, the baseline’s run after its guests’: the same points', async () => {
    await client('each').createDatabase('each');
    await deliver(
      'each',
      all.flatMap((run) => [...run.slice(1), run[0]!]),
    );
    // Compared without null columns: a field some point of the database once had is a column of every row.
    expect(comparable(await stored('each'))).toEqual(comparable(await stored('one')));
  });

  it('guests first, then every baseline run in one batch spanning the days: every guest run is computed', async () => {
    await client('late').createDatabase('late');
    await deliver('late', [all.flatMap((run) => run.slice(1)).flat()]);
    expect(await stored('late')).toEqual([]);
    await deliver('late', [all.map((run) => run[0]!).flat()]);
    expect(comparable(await stored('late'))).toEqual(comparable(await stored('one')));
  });

  it('computing everything again writes nothing', async () => {
    const written = await computeSeriesWork(
      { group: GROUP, test: 'cpu', profile: 'seed', threads: 1, runs: [], baselineAnchors: all.map((run) => run[0]![0]!.timeNs) },
      { store: influxStore({ url: fx.influxd.url, database: 'one' }), windowNs: WINDOW },
    );
    expect(written).toBe(0);
  });

  it('a recompute that must replace every run’s points whole deletes them in one request, and gives the same points', async () => {
    const store = influxStore({ url: fx.influxd.url, database: 'one' });
    const before = await stored('one');
    // A field no computation writes, on every point: each run's points must be deleted before they are written again.
    const rows = await store.select({ measurement: 'overhead' });
    await store.write(rows.map((r) => ({ measurement: 'overhead' as const, tags: r.tags, fields: { stale_pct: 1 }, timestamp: r.timeNs.toString() })));
    expect((await stored('one')).every((p) => p.stale_pct === 1)).toBe(true);
    const bounds: string[][] = [];
    const counted: Store = { ...store, delete: (m, w) => (bounds.push(timeBounds(w)), store.delete(m, w)) };
    const written = await computeSeriesWork(
      { group: GROUP, test: 'cpu', profile: 'seed', threads: 1, runs: [], baselineAnchors: all.map((run) => run[0]![0]!.timeNs) },
      { store: counted, windowNs: WINDOW },
    );
    expect(written).toBe(before.length);
    // One chunk of guests (GUESTS < AGENTS_PER_READ): one request, one time range (one DELETE statement, replaced-range.ts).
    expect(bounds).toHaveLength(1);
    expect(bounds[0]).toHaveLength(1);
    expect(comparable(await stored('one'))).toEqual(comparable(before)); // stale_pct stays a column (null) of every row: SELECT * lists every field the shard has seen
  });

  // The replaced runs' one DELETE over a range (replaced-range.ts) against one statement per run: the same points.
  it('replacing over one range stores exactly what one DELETE per run stores', async () => {
    for (const db of ['per-run', 'ranged']) {
      await client(db).createDatabase(db);
      await deliver(db, [all.flat(2)]);
      // Every other run: the runs between them are in the range without being replaced, and must be written again.
      await staleEverywhere(db, (runId) => Number(runId.split('-r')[1]) % 2 === 0);
    }
    const bounds: Record<string, string[]> = {};
    for (const db of ['per-run', 'ranged']) {
      const store = influxStore({ url: fx.influxd.url, database: db });
      const counted: Store = { ...store, delete: (m, w) => ((bounds[db] = timeBounds(w)), store.delete(m, w)) };
      await computeSeriesWork(everyBaselineRun, { store: counted, windowNs: WINDOW, oneDeletePerRun: db === 'per-run' });
    }
    expect(bounds['per-run']!.length).toBeGreaterThan(GUESTS);
    expect(bounds.ranged).toHaveLength(1);
    expect(comparable(await stored('ranged'))).toEqual(comparable(await stored('per-run')));
    expect(comparable(await stored('ranged'))).toEqual(comparable(await stored('one')));
  });

  it('a stored point inside the range that the recompute does not write again keeps the range from being used', async () => {
    await client('other').createDatabase('other');
    await deliver('other', [all.flat(2)]);
    await staleEverywhere('other');
    const store = influxStore({ url: fx.influxd.url, database: 'other' });
    // Another thread count's point of vm0 between two of its runs: no trial of this work, so not recomputed.
    const other = {
      measurement: 'overhead' as const,
      tags: { group: GROUP, agent: 'vm0', role: 'guest', test: 'cpu', profile: 'seed', metric: 'events_per_sec', baseline_agent: 'native' },
      fields: { overhead_pct: 5, threads: 2, run_id: 'other' },
      timestamp: String(T0 + 27n * HOUR),
    };
    await store.write([other]);
    const bounds: string[][] = [];
    await computeSeriesWork(everyBaselineRun, { store: { ...store, delete: (m, w) => (bounds.push(timeBounds(w)), store.delete(m, w)) }, windowNs: WINDOW });
    expect(bounds[0]!.length).toBeGreaterThan(1);
    expect((await stored('other')).filter((p) => p.run_id === 'other')).toHaveLength(1);
    expect(comparable((await stored('other')).filter((p) => p.run_id !== 'other'))).toEqual(comparable(await stored('one')));
  });

  it('a run whose trials arrive while the range is recomputed, its points written by another collector before the delete: they are written again', async () => {
    await client('race').createDatabase('race');
    await deliver('race', [all.flat(2)]);
    await staleEverywhere('race');
    const store = influxStore({ url: fx.influxd.url, database: 'race' });
    // vm1's run between its runs 4 and 5, arriving (and computed by another collector) after this recompute read.
    const late: TrialSpec[] = [0, 1, 2].map((t) => ({
      agent: 'vm1',
      group: GROUP,
      role: 'guest',
      test: 'cpu',
      runId: 'vm1-late',
      trial: t + 1,
      timeNs: T0 + 27n * HOUR + BigInt(t) * MIN,
      values: { events_per_sec: 670 + t, latency_avg_ms: 1.5 },
    }));
    const other = createOverheadCalculator({ store });
    let arrived = false;
    const racing: Store = {
      ...store,
      async delete(m, w) {
        if (!arrived) {
          arrived = true;
          await other.onResultsWritten(await writeTrials(fx.influxd.url, 'race', late));
          expect((await stored('race')).filter((p) => p.run_id === 'vm1-late')).toHaveLength(2);
        }
        return store.delete(m, w);
      },
    };
    await computeSeriesWork(everyBaselineRun, { store: racing, windowNs: WINDOW });
    expect(arrived).toBe(true);
    const points = (await stored('race')).filter((p) => p.run_id === 'vm1-late');
    expect(points).toHaveLength(2);
    // What computing it alone now gives (its neighbours' spread moved with it: those are not compared here).
    await other.recomputeGuestRun({ group: GROUP, agent: 'vm1', test: 'cpu', profile: 'seed', runId: 'vm1-late', threads: 1, anchorNs: late[0]!.timeNs });
    expect((await stored('race')).filter((p) => p.run_id === 'vm1-late')).toEqual(points);
  });
});
