// Disturbed trials (issue 22 item 6, docs/noise.md) in the overhead calculator and the report,
// against a real influxd: counted on the comparison always, left out only when asked. Inputs
// are literals; every expected value is worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { buildReport, formatReportTable } from '../report/index.js';
import { createOverheadCalculator } from './index.js';
import { influxStore } from '../store/influx.js';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { writeTrials, type TrialSpec } from '../../test/support/sysbench-points.js';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in ns
const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const BUSY = "other runnable tasks took 60.0 % of the trial's CPU time (> 5 %; 4.0 runnable, load 3.50)";

// One influxd; each test its own database.
const server = usePrivateInfluxd('disturbed_test');

/** One run of 3 trials a minute apart; noise values and the disturbed flag per trial. */
function run(agent: string, role: 'baseline' | 'guest', runId: string, start: bigint, trials: Array<[number, number, string | false]>): TrialSpec[] {
  return trials.map(([eps, contention, disturbed], i) => ({
    agent,
    group: 'noisy',
    role,
    test: 'cpu',
    runId,
    trial: i + 1,
    timeNs: start + BigInt(i) * MIN,
    values: { events_per_sec: eps, steal_pct: 0, contention_pct: contention, load1: 1 + contention / 20, procs_running: 1 },
    disturbed,
  }));
}

async function setUp(database: string) {
  await server.influx.createDatabase(database);
  // Baseline: 1000, 1010 quiet, 600 while a neighbour took 60 % of its CPU.
  const b = await writeTrials(
    server.url,
    database,
    run('native', 'baseline', 'b1', T0, [
      [1000, 0, false],
      [1010, 2, false],
      [600, 60, BUSY],
    ]),
  );
  // Guest: 800, 810 quiet, 400 disturbed.
  const g = await writeTrials(
    server.url,
    database,
    run('vm', 'guest', 'g1', T0 + HOUR, [
      [800, 1, false],
      [810, 3, false],
      [400, 60, BUSY],
    ]),
  );
  return [...b, ...g];
}

type Row = Record<string, number | string | boolean | null>;
const overheadOf = async (database: string) =>
  (await server.influx.query(`SELECT * FROM "overhead" WHERE "metric" = 'events_per_sec'`, { database })) as unknown as Row[];

describe('disturbed trials (real influxd)', () => {
  it('kept by default, and counted on the comparison', async () => {
    const db = 'keep';
    const written = await setUp(db);
    await createOverheadCalculator({ store: influxStore({ url: server.url, database: db }) }).onResultsWritten(written);
    const [p] = await overheadOf(db);
    // All three trials a side: guest 2010/3 = 670, baseline 2610/3 = 870.
    expect(p!.guest_value).toBeCloseTo(670, 9);
    expect(p!.baseline_value).toBeCloseTo(870, 9);
    expect([p!.n_guest, p!.n_baseline, p!.n_disturbed_guest, p!.n_disturbed_baseline, p!.disturbed_excluded]).toEqual([3, 3, 1, 1, false]);
  });

  it('--exclude-disturbed: left out of the comparison, still counted; the overhead is that of the quiet trials', async () => {
    const db = 'exclude';
    const written = await setUp(db);
    await createOverheadCalculator({ store: influxStore({ url: server.url, database: db }), excludeDisturbed: true }).onResultsWritten(written);
    const [p] = await overheadOf(db);
    // Guest (800 + 810)/2 = 805, baseline (1000 + 1010)/2 = 1005; events/s: overhead = (1005/805 − 1)·100 = 24.84 %.
    expect(p!.guest_value).toBeCloseTo(805, 9);
    expect(p!.baseline_value).toBeCloseTo(1005, 9);
    expect(p!.overhead_pct).toBeCloseTo((1005 / 805 - 1) * 100, 9);
    expect([p!.n_guest, p!.n_baseline, p!.n_disturbed_guest, p!.n_disturbed_baseline, p!.disturbed_excluded]).toEqual([2, 2, 1, 1, true]);
  });

  it('the baseline count is of the runs the reference used (baseline_run_ids), not of every run in the window', async () => {
    const db = 'reference';
    const written = await setUp(db);
    // An earlier baseline run, 3 h before, with 2 of its 3 trials disturbed: most of it, so the
    // engine leaves it out of the reference (runs_excluded 1) and b1 alone is the reference.
    const b0 = await writeTrials(
      server.url,
      db,
      run('native', 'baseline', 'b0', T0 - 3n * HOUR, [
        [1005, 1, false],
        [500, 70, BUSY],
        [520, 65, BUSY],
      ]),
    );
    await createOverheadCalculator({ store: influxStore({ url: server.url, database: db }) }).onResultsWritten([...b0, ...written]);
    const [p] = await overheadOf(db);
    expect([p!.baseline_run_ids, p!.runs_excluded]).toEqual(['b1', 1]);
    // b1's one disturbed trial; counting the window would give 1 + 2 = 3.
    expect([p!.n_disturbed_guest, p!.n_disturbed_baseline]).toEqual([1, 1]);
  });

  it('a run whose trials were all disturbed gets no point when they are left out', async () => {
    const db = 'alldisturbed';
    await server.influx.createDatabase(db);
    const b = await writeTrials(
      server.url,
      db,
      run('native', 'baseline', 'b1', T0, [
        [1000, 0, false],
        [1010, 0, false],
      ]),
    );
    const g = await writeTrials(
      server.url,
      db,
      run('vm', 'guest', 'g1', T0 + HOUR, [
        [400, 60, BUSY],
        [420, 55, BUSY],
      ]),
    );
    await createOverheadCalculator({ store: influxStore({ url: server.url, database: db }), excludeDisturbed: true }).onResultsWritten([...b, ...g]);
    expect((await overheadOf(db)).length).toBe(0);
  });

  it('the report: a noise line per system; with --exclude-disturbed its numbers match the collector', async () => {
    const db = 'keep';
    const now = new Date(Number((T0 + 2n * HOUR) / 1_000_000n));
    const kept = await buildReport({ store: influxStore({ url: server.url, database: db }), database: db, since: 6 * 3_600_000, now });
    const left = await buildReport({ store: influxStore({ url: server.url, database: db }), database: db, since: 6 * 3_600_000, now, excludeDisturbed: true });
    // Medians by hand: baseline contention 0, 2, 60 → 2, load 1, 1.1, 4 → 1.1; guest 1, 3, 60 → 3, load 1.05, 1.15, 4 → 1.15.
    expect(kept.noise.map((n) => [n.agent, n.trials, n.judged, n.disturbed, n.medianContentionPct, n.medianLoad1, n.medianStealPct])).toEqual([
      ['native', 3, 3, 1, 2, 1.1, 0],
      ['vm', 3, 3, 1, 3, 1.15, 0],
    ]);
    const guestMean = (r: typeof kept) => r.sections[0]!.metrics.find((m) => m.metric === 'events_per_sec')!.results.find((x) => x.system.agent === 'vm')!.mean;
    expect(guestMean(kept)).toBeCloseTo(670, 9);
    expect(guestMean(left)).toBeCloseTo(805, 9);
    const text = formatReportTable(left);
    expect(text).toMatch(/== noise during the trials .*LEFT OUT of the comparisons\) ==/);
    expect(text).toMatch(/native native +steal 0\.0 %, contention 2\.0 %, load 1\.10; disturbed 1 of 3 trials \(left out\)/);
    expect(formatReportTable(kept)).toMatch(/kvm vm +steal 0\.0 %, contention 3\.0 %, load 1\.15; disturbed 1 of 3 trials\n/);
  });
});
