// `report --changes` reads what the collector stored at its last analysis (overhead_series and
// overhead_change) instead of analysing every series again (issue 26): on the same data it must
// say exactly what the slow path (every series read and analysed here) says. Real influxd, fed as
// the collector feeds its listeners: a guest that shifted, a steady one, one too short to decide,
// and one whose series a collector analysed before verdicts were stored (change points, no verdicts).
import { InfluxDB } from 'influx';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from './support/fixture.js';
import { createOverheadCalculator } from '../collector/overhead/index.js';
import { createChangeDetector } from '../collector/changes/index.js';
import { changesReport } from '../collector/changes/report.js';
import { influxStore } from '../collector/store/influx.js';
import { writeTrials, type TrialSpec } from './support/sysbench-points.js';
import { mulberry32 } from '../lib/stats/random.js';

const DB = 'stored_changes';
const HOUR = 3_600_000_000_000n;
const RUNS = 40;
const T0 = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - BigInt(RUNS) * 6n * HOUR;

let influx: InfluxDB;

const fx = influxdFixture('report-changes-stored-');

beforeAll(async () => {
  influx = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database: DB });
  await influx.createDatabase(DB);
});

/** Run i: the baseline; vm-shift drops by 30 % at run 25; vm-steady; vm-new from run 36 only (too short); vm-old. */
function runTrials(i: number): TrialSpec[][] {
  const r = mulberry32(500 + i);
  const at = T0 + BigInt(i) * 6n * HOUR;
  const minute = 60_000_000_000n;
  const run = (agent: string, role: 'baseline' | 'guest', level: number, offset: bigint): TrialSpec[] =>
    [0, 1, 2].map((t) => ({
      agent,
      group: 'g',
      role,
      test: 'cpu',
      runId: `${agent}-${i}`,
      trial: t + 1,
      timeNs: at + offset + BigInt(t) * minute,
      values: { events_per_sec: level * (1 + 0.02 * (r() - 0.5)), latency_avg_ms: (1 / level) * (1 + 0.02 * (r() - 0.5)) },
    }));
  return [
    run('native', 'baseline', 1000, 0n),
    run('vm-shift', 'guest', i < 25 ? 900 : 630, 5n * minute),
    run('vm-steady', 'guest', 850, 10n * minute),
    ...(i >= 36 ? [run('vm-new', 'guest', 700, 15n * minute)] : []),
    run('vm-old', 'guest', 800, 20n * minute),
  ];
}

describe('report --changes from stored verdicts equals analysing every series (real influxd)', () => {
  it('the same series, runs, verdicts and change points, over the whole period and a recent one', async () => {
    const overhead = createOverheadCalculator({ store: influxStore({ url: fx.influxd.url, database: DB }) });
    const detector = createChangeDetector({ store: influxStore({ url: fx.influxd.url, database: DB }) });
    for (let i = 0; i < RUNS; i++) {
      const trials = runTrials(i).flat();
      const written = await writeTrials(fx.influxd.url, DB, trials);
      await overhead.onResultsWritten(written);
      await detector.onResultsWritten(written);
    }
    // vm-old as a collector from before verdicts were stored left it: change points, no verdicts.
    await influx.query(`DELETE FROM "overhead_series" WHERE "agent" = 'vm-old'`);
    // The whole period, then one after the shift (its change point is before it: listed without it).
    for (const [sinceMs, shiftChanges] of [
      [Number(T0 / 1_000_000n) - 3_600_000, 1],
      [Number((T0 + 30n * 6n * HOUR) / 1_000_000n), 0],
    ] as const) {
      const fast = await changesReport({ store: influxStore({ url: fx.influxd.url, database: DB }), sinceMs });
      const slow = await changesReport({ store: influxStore({ url: fx.influxd.url, database: DB }), sinceMs, recompute: true });
      expect(fast).toEqual(slow);
      expect(fast.map((s) => [s.key.agent, s.metric, s.runs, s.tooShort?.needed ?? null, s.changes.length])).toEqual(
        ['vm-new', 'vm-old', 'vm-shift', 'vm-steady'].flatMap((agent) =>
          ['events_per_sec', 'latency_avg_ms'].map((metric) => [
            agent,
            metric,
            agent === 'vm-new' ? 4 : RUNS,
            agent === 'vm-new' ? 6 : null,
            agent === 'vm-shift' ? shiftChanges : 0,
          ]),
        ),
      );
    }
    // The report wrote nothing: vm-old is analysed by each report until the collector analyses it again.
    expect(((await influx.query(`SELECT count("runs") FROM "overhead_series" WHERE "agent" = 'vm-old'`)) as unknown[]).length).toBe(0);
  });
  it('bad input: a range with no data, and a database with none, give an empty report on both paths', async () => {
    // After every run (the first test stored a month): nothing in the range, nothing invented.
    const sinceMs = Date.now() + 86_400_000;
    expect(await changesReport({ store: influxStore({ url: fx.influxd.url, database: DB }), sinceMs })).toEqual([]);
    expect(await changesReport({ store: influxStore({ url: fx.influxd.url, database: DB }), sinceMs, recompute: true })).toEqual([]);
    const empty = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database: 'empty_changes' });
    await empty.createDatabase('empty_changes');
    for (const recompute of [false, true])
      expect(
        await changesReport({
          store: influxStore({ url: fx.influxd.url, database: 'empty_changes' }),
          sinceMs: 0,
          recompute,
        }),
      ).toEqual([]);
  });
});
