// The overhead calculator against a real influxd. Inputs are literals; every expected value
// is worked out by hand in the comments from those literals and docs/overhead.md's formulas.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../influx/influxd.js';
import { createOverheadCalculator } from './index.js';
import { writeTrials, type TrialSpec } from './testing/sysbench-points.js';

const DB = 'overhead_test';
// Tag values with quotes and a backslash: the InfluxQL must escape them.
const GROUP = `lab "A" o'brien\\x`;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in ns
const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
// t(0.975, df = 4) from a printed t table.
const T_975_4 = 2.776445;

let influxd: InfluxdHandle;
let influx: InfluxDB;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'overhead-test-'));
  influxd = await startInfluxd({ dir });
  influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: DB });
  await influx.createDatabase(DB);
});

afterAll(async () => {
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function trials(base: Omit<TrialSpec, 'trial' | 'timeNs' | 'values'>, start: bigint, values: Array<Record<string, number>>): TrialSpec[] {
  return values.map((v, i) => ({ ...base, trial: i + 1, timeNs: start + BigInt(i) * MIN, values: v }));
}

interface OverheadRow {
  time: { getNanoTime(): string };
  agent: string;
  metric: string;
  baseline_agent: string;
  guest_value: number;
  baseline_value: number;
  ratio: number;
  overhead_pct: number;
  ci_low_pct: number | null;
  ci_high_pct: number | null;
  verdict: string;
  verdict_reason: string;
  margin_pct: number;
  margin_source: string;
  n_guest: number;
  n_baseline: number;
  run_id: string;
  baseline_run_id: string;
  variant: string;
}

async function overheadRows(agent: string, metric?: string): Promise<OverheadRow[]> {
  const where = `"agent" = '${agent}'` + (metric ? ` AND "metric" = '${metric}'` : '');
  return (await influx.query(`SELECT * FROM "overhead" WHERE ${where}`, { database: DB })) as unknown as OverheadRow[];
}

describe('overhead calculator (real influxd)', () => {
  const calc = () => createOverheadCalculator({ influx, database: DB, windowMs: 24 * 3_600_000 });
  const guestStart = T0 + 2n * HOUR;

  it('a guest without a baseline gets nothing; when the baseline arrives it is computed', async () => {
    const guest = await writeTrials(
      influxd.url,
      DB,
      trials({ agent: 'vm1', group: GROUP, role: 'guest', test: 'cpu', runId: 'g1' }, guestStart, [
        { events_per_sec: 50, latency_avg_ms: 20, latency_min_ms: 0 },
        { events_per_sec: 55, latency_avg_ms: 22, latency_min_ms: 0 },
        { events_per_sec: 45, latency_avg_ms: 18, latency_min_ms: 0 },
      ]),
    );
    await calc().onResultsWritten(guest);
    expect(await overheadRows('vm1')).toHaveLength(0);

    // An older baseline run (3 h before) and the nearest one (10 min before): the nearest is used.
    const older = await writeTrials(
      influxd.url,
      DB,
      trials({ agent: `host'1`, group: GROUP, role: 'baseline', test: 'cpu', runId: 'b0' }, guestStart - 3n * HOUR, [
        { events_per_sec: 200, latency_avg_ms: 5 },
        { events_per_sec: 200, latency_avg_ms: 5 },
      ]),
    );
    // A baseline at another thread count and a failed trial must be ignored.
    const other = await writeTrials(influxd.url, DB, [
      {
        agent: `host'1`,
        group: GROUP,
        role: 'baseline',
        test: 'cpu',
        runId: 'b1',
        trial: 9,
        threads: 2,
        timeNs: guestStart - 5n * MIN,
        values: { events_per_sec: 1000 },
      },
      {
        agent: `host'1`,
        group: GROUP,
        role: 'baseline',
        test: 'cpu',
        runId: 'b1',
        trial: 4,
        ok: false,
        timeNs: guestStart - 4n * MIN,
        values: { events_per_sec: 1 },
      },
    ]);
    const baseline = await writeTrials(
      influxd.url,
      DB,
      trials({ agent: `host'1`, group: GROUP, role: 'baseline', test: 'cpu', runId: 'b1' }, guestStart - 10n * MIN, [
        { events_per_sec: 100, latency_avg_ms: 10, latency_min_ms: 0 },
        { events_per_sec: 110, latency_avg_ms: 11, latency_min_ms: 0 },
        { events_per_sec: 90, latency_avg_ms: 9, latency_min_ms: 0 },
      ]),
    );
    await calc().onResultsWritten([...older, ...other, ...baseline]);

    const rows = await overheadRows('vm1');
    // events_per_sec and latency_avg_ms; latency_min_ms is 0 on both sides: no ratio, only the verdict.
    expect(rows.map((r) => r.metric).sort()).toEqual(['events_per_sec', 'latency_avg_ms', 'latency_min_ms']);
    const min = rows.find((r) => r.metric === 'latency_min_ms')!;
    expect(min).toMatchObject({ verdict: 'unmeasurable', ratio: null, overhead_pct: null, ci_low_pct: null });
    expect(min.verdict_reason).toMatch(/mean is 0/);

    // Relative variance terms, each with the rounding variance of the printing step 1 (1/12):
    // guest (25 + 1/12)/(3·50²), baseline (100 + 1/12)/(3·100²) → se(log ratio), Welch df ≈ 4,
    // ratio interval 0.5·e^(±t·se). scipy (lib/compare/reference.py's formula): [59.395003, 150.948896] %.
    const se = Math.sqrt((25 + 1 / 12) / 7500 + (100 + 1 / 12) / 30000);
    const eps = rows.find((r) => r.metric === 'events_per_sec')!;
    expect(eps.time.getNanoTime()).toBe(guestStart.toString()); // the guest run's first trial
    expect(eps.baseline_agent).toBe(`host'1`);
    expect(eps.baseline_run_id).toBe('b1');
    expect(eps.run_id).toBe('g1');
    expect(eps.guest_value).toBeCloseTo(50, 12);
    expect(eps.baseline_value).toBeCloseTo(100, 12);
    expect(eps.ratio).toBeCloseTo(0.5, 12);
    // Throughput: (baseline/guest − 1)·100 = (100/50 − 1)·100 = 100 %.
    expect(eps.overhead_pct).toBeCloseTo(100, 10);
    // Interval: (1/(0.5·e^(+q·se)) − 1)·100 … (1/(0.5·e^(−q·se)) − 1)·100.
    expect(eps.ci_low_pct).toBeCloseTo((2 * Math.exp(-T_975_4 * se) - 1) * 100, 2);
    expect(eps.ci_high_pct).toBeCloseTo((2 * Math.exp(T_975_4 * se) - 1) * 100, 2);
    expect(eps.ci_low_pct).toBeCloseTo(59.39500269562969, 5);
    expect(eps.ci_high_pct).toBeCloseTo(150.94889628617398, 5);
    // Only two baseline runs in the window (b0, b1): no noise floor yet, the default margin 3 %.
    expect(eps).toMatchObject({ verdict: 'worse', margin_pct: 3, margin_source: 'default' });
    expect(eps.n_guest).toBe(3);
    expect(eps.n_baseline).toBe(3);

    // Latency: guest 20, 22, 18 vs 10, 11, 9 → ratio 2, (guest/baseline − 1)·100 = 100 %;
    // terms (4 + 1/12)/(3·20²) and (1 + 1/12)/(3·10²): scipy gives df 3.996474, [58.493255, 152.376670] %.
    const lat = rows.find((r) => r.metric === 'latency_avg_ms')!;
    expect(lat.ratio).toBeCloseTo(2, 12);
    expect(lat.overhead_pct).toBeCloseTo(100, 10);
    expect(lat.ci_low_pct).toBeCloseTo(58.4932551130231, 5);
    expect(lat.ci_high_pct).toBeCloseTo(152.3766703603608, 5);
  });

  it('recomputing (again and from a second calculator) overwrites instead of duplicating', async () => {
    const guestRows = (await influx.query(`SELECT * FROM "sysbench" WHERE "agent" = 'vm1'`, { database: DB })) as unknown[];
    expect(guestRows).toHaveLength(3);
    const again = trials({ agent: 'vm1', group: GROUP, role: 'guest', test: 'cpu', runId: 'g1' }, guestStart, [{ events_per_sec: 50, latency_avg_ms: 20 }]);
    const { toWritten } = await import('./testing/sysbench-points.js');
    await calc().onResultsWritten(again.map(toWritten));
    await calc().onResultsWritten(again.map(toWritten));
    const rows = await overheadRows('vm1', 'events_per_sec');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.n_guest).toBe(3);
  });

  it('trials arriving out of order end up as one point at the first trial', async () => {
    const start = T0 + 5n * HOUR;
    const [t1, t2, t3] = trials({ agent: 'vm2', group: GROUP, role: 'guest', virt: 'qemu-tcg', test: 'cpu', runId: 'g2' }, start, [
      { events_per_sec: 10 },
      { events_per_sec: 12 },
      { events_per_sec: 11 },
    ]);
    await calc().onResultsWritten(await writeTrials(influxd.url, DB, [t2!]));
    let rows = await overheadRows('vm2', 'events_per_sec');
    expect(rows.map((r) => r.time.getNanoTime())).toEqual([(start + MIN).toString()]);
    expect(rows[0]!.ci_low_pct).toBeNull(); // one guest trial: no interval
    expect(rows[0]!.verdict).toBe('inconclusive');
    await calc().onResultsWritten(await writeTrials(influxd.url, DB, [t1!, t3!]));
    rows = await overheadRows('vm2', 'events_per_sec');
    expect(rows.map((r) => r.time.getNanoTime())).toEqual([start.toString()]);
    // Guest mean (10+12+11)/3 = 11; the nearest baseline run is b1 (mean 100; b0 is 3 h from
    // b1 but 8 h from this run) → ratio 0.11, overhead (100/11 − 1)·100.
    expect(rows[0]!.baseline_run_id).toBe('b1');
    expect(rows[0]!.ratio).toBeCloseTo(0.11, 12);
    expect(rows[0]!.overhead_pct).toBeCloseTo((100 / 11 - 1) * 100, 9);
  });

  it('a baseline outside the window is not used', async () => {
    const start = T0 + 40n * HOUR; // b1 is 38 h earlier: outside 24 h
    const g = await writeTrials(
      influxd.url,
      DB,
      trials({ agent: 'vm3', group: GROUP, role: 'guest', test: 'cpu', runId: 'g3' }, start, [{ events_per_sec: 10 }, { events_per_sec: 11 }]),
    );
    await calc().onResultsWritten(g);
    expect(await overheadRows('vm3')).toHaveLength(0);
  });

  it('a margin set for the group wins over the default, and the verdict follows it', async () => {
    const user = createOverheadCalculator({ influx, database: DB, windowMs: 24 * 3_600_000, groupMargins: { [GROUP]: 160 } });
    await user.recomputeGuestRun({ group: GROUP, agent: 'vm1', test: 'cpu', profile: 'seed', runId: 'g1', threads: 1, anchorNs: guestStart });
    const eps = (await overheadRows('vm1', 'events_per_sec'))[0]!;
    // +100 % [+59.4, +150.9] lies within ±160 %: equivalent at that margin (TOST's 90 % interval is narrower still).
    expect(eps).toMatchObject({ margin_pct: 160, margin_source: 'user', verdict: 'equivalent' });
    await calc().recomputeGuestRun({ group: GROUP, agent: 'vm1', test: 'cpu', profile: 'seed', runId: 'g1', threads: 1, anchorNs: guestStart });
    expect((await overheadRows('vm1', 'events_per_sec'))[0]).toMatchObject({ margin_pct: 3, verdict: 'worse' });
  });

  it('a recompute that has fewer fields replaces the stored point instead of leaving old fields beside it', async () => {
    const start = T0 + 100n * HOUR;
    const base = { group: 'replace', test: 'cpu' } as const;
    const b1 = await writeTrials(
      influxd.url,
      DB,
      trials({ ...base, agent: 'hostR', role: 'baseline', runId: 'bR1' }, start, [{ events_per_sec: 100 }, { events_per_sec: 110 }, { events_per_sec: 90 }]),
    );
    const g = await writeTrials(
      influxd.url,
      DB,
      trials({ ...base, agent: 'vmR', role: 'guest', runId: 'gR' }, start + 20n * MIN, [
        { events_per_sec: 50 },
        { events_per_sec: 55 },
        { events_per_sec: 45 },
      ]),
    );
    await calc().onResultsWritten([...b1, ...g]);
    const before = (await overheadRows('vmR', 'events_per_sec'))[0]!;
    expect(before).toMatchObject({ baseline_run_id: 'bR1', ratio: 0.5 });
    expect(before.ci_low_pct).toBeCloseTo(59.39500269562969, 4);
    // A nearer baseline run with one trial: 50/200 = 0.25, and no interval (one side has one trial).
    const b2 = await writeTrials(
      influxd.url,
      DB,
      trials({ ...base, agent: 'hostR', role: 'baseline', runId: 'bR2' }, start + 15n * MIN, [{ events_per_sec: 200 }]),
    );
    await calc().onResultsWritten(b2);
    const after = await overheadRows('vmR', 'events_per_sec');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ baseline_run_id: 'bR2', ratio: 0.25, ci_low_pct: null });
  });

  it('rejects a nonsense window', () => {
    expect(() => createOverheadCalculator({ influx, database: DB, windowMs: 0 })).toThrow(/windowMs/);
  });
});
