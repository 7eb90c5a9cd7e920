// The overhead calculator against a real influxd. Inputs are literals; the expected numbers come
// from lib/compare/reference.py (the engine's definitions written out independently with scipy),
// whose cases `calculator_*` hold these same runs, frozen in lib/compare/reference.json.
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from '../../test/support/fixture.js';
import { createOverheadCalculator } from './index.js';
import { influxStore } from '../store/influx.js';
import { writeTrials, type TrialSpec } from '../../test/support/sysbench-points.js';
import { parseMarginSpec } from '../../lib/compare/margin.js';
import { readFileSync } from 'node:fs';

const DB = 'overhead_test';
// Tag values with quotes and a backslash: the InfluxQL must escape them.
const GROUP = `lab "A" o'brien\\x`;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in ns
const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const REF = JSON.parse(readFileSync(join(import.meta.dirname, '../../lib/compare/reference.json'), 'utf8')) as Record<
  string,
  {
    expected: {
      verdict: string;
      overhead: number;
      low: number;
      high: number;
      df: number;
      noise_floor: number;
      guest_run_sd_pct: number;
      baseline_run_sd_pct: number;
    };
  }
>;
const expected = (name: string) => REF[name]!.expected;

let influx: InfluxDB;

const fx = influxdFixture('overhead-test-');

beforeAll(async () => {
  influx = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database: DB });
  await influx.createDatabase(DB);
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
  baseline_run_ids: string;
  df: number;
  noise_floor_pct: number;
  guest_run_sd_pct: number;
  baseline_run_sd_pct: number;
  runs_guest: number;
  runs_baseline: number;
  baseline_run_id: string;
  variant: string;
}

async function overheadRows(agent: string, metric?: string): Promise<OverheadRow[]> {
  const where = `"agent" = '${agent}'` + (metric ? ` AND "metric" = '${metric}'` : '');
  return (await influx.query(`SELECT * FROM "overhead" WHERE ${where}`, { database: DB })) as unknown as OverheadRow[];
}

describe('overhead calculator (real influxd)', () => {
  const calc = () => createOverheadCalculator({ store: influxStore({ url: fx.influxd.url, database: DB }), windowMs: 24 * 3_600_000 });
  const guestStart = T0 + 2n * HOUR;

  it('a guest without a baseline gets nothing; when the baseline arrives it is computed', async () => {
    const guest = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ agent: 'vm1', group: GROUP, role: 'guest', test: 'cpu', runId: 'g1' }, guestStart, [
        { events_per_sec: 50, latency_avg_ms: 20, latency_min_ms: 0 },
        { events_per_sec: 55, latency_avg_ms: 22, latency_min_ms: 0 },
        { events_per_sec: 45, latency_avg_ms: 18, latency_min_ms: 0 },
      ]),
    );
    await calc().onResultsWritten(guest);
    expect(await overheadRows('vm1')).toHaveLength(0);

    // An older baseline run (3 h before) and the nearest one (10 min before): both make the baseline.
    const older = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ agent: `host'1`, group: GROUP, role: 'baseline', test: 'cpu', runId: 'b0' }, guestStart - 3n * HOUR, [
        { events_per_sec: 101, latency_avg_ms: 10 },
        { events_per_sec: 99, latency_avg_ms: 10 },
      ]),
    );
    // A baseline at another thread count and a failed trial must be ignored.
    const other = await writeTrials(fx.influxd.url, DB, [
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
      fx.influxd.url,
      DB,
      trials({ agent: `host'1`, group: GROUP, role: 'baseline', test: 'cpu', runId: 'b1' }, guestStart - 10n * MIN, [
        { events_per_sec: 100, latency_avg_ms: 10, latency_min_ms: 0 },
        { events_per_sec: 102, latency_avg_ms: 11, latency_min_ms: 0 },
        { events_per_sec: 98, latency_avg_ms: 9, latency_min_ms: 0 },
      ]),
    );
    await calc().onResultsWritten([...older, ...other, ...baseline]);

    const rows = await overheadRows('vm1');
    // events_per_sec and latency_avg_ms; latency_min_ms is 0 on both sides: no ratio, only the verdict.
    expect(rows.map((r) => r.metric).sort()).toEqual(['events_per_sec', 'latency_avg_ms', 'latency_min_ms']);
    const min = rows.find((r) => r.metric === 'latency_min_ms')!;
    expect(min).toMatchObject({ verdict: 'unmeasurable', ratio: null, overhead_pct: null, ci_low_pct: null });
    expect(min.verdict_reason).toMatch(/mean is 0/);

    // Guest run 50 (one run, no history: its spread from the prior, here its own trials' 10 % scatter)
    // against the baseline's two runs, both with mean 100: ratio 0.5 exactly, +100 %.
    const eps = rows.find((r) => r.metric === 'events_per_sec')!;
    const e = expected('calculator_eps');
    expect(eps.time.getNanoTime()).toBe(guestStart.toString()); // the guest run's first trial
    expect(eps.baseline_agent).toBe(`host'1`);
    expect(eps.baseline_run_id).toBe('b1'); // the used run nearest the guest run
    expect(eps.baseline_run_ids).toBe('b0,b1');
    expect(eps.run_id).toBe('g1');
    expect(eps.guest_value).toBeCloseTo(50, 12);
    expect(eps.baseline_value).toBeCloseTo(100, 12);
    expect(eps.ratio).toBeCloseTo(0.5, 12);
    // Throughput: (baseline/guest − 1)·100 = (100/50 − 1)·100 = 100 %.
    expect(eps.overhead_pct).toBeCloseTo(100, 10);
    expect(eps.ci_low_pct).toBeCloseTo(e.low, 6);
    expect(eps.ci_high_pct).toBeCloseTo(e.high, 6);
    expect(eps.df).toBeCloseTo(e.df, 6);
    expect(eps.noise_floor_pct).toBeCloseTo(e.noise_floor, 6);
    expect(eps.guest_run_sd_pct).toBeCloseTo(e.guest_run_sd_pct, 6);
    expect(eps.baseline_run_sd_pct).toBeCloseTo(e.baseline_run_sd_pct, 6);
    expect(eps).toMatchObject({ verdict: e.verdict, margin_pct: 3, margin_source: 'default', runs_guest: 1, runs_baseline: 2, n_guest: 3, n_baseline: 5 });
    expect(eps.verdict).toBe('worse');

    // Latency: guest 20, 22, 18 vs runs of 10 → ratio 2, (guest/baseline − 1)·100 = 100 % at the latency margin 5 %.
    const lat = rows.find((r) => r.metric === 'latency_avg_ms')!;
    const l = expected('calculator_latency');
    expect(lat.ratio).toBeCloseTo(2, 12);
    expect(lat.overhead_pct).toBeCloseTo(100, 10);
    expect(lat.ci_low_pct).toBeCloseTo(l.low, 6);
    expect(lat.ci_high_pct).toBeCloseTo(l.high, 6);
    expect(lat).toMatchObject({ verdict: l.verdict, margin_pct: 5 });
  });

  it('recomputing (again and from a second calculator) overwrites instead of duplicating', async () => {
    const guestRows = (await influx.query(`SELECT * FROM "sysbench" WHERE "agent" = 'vm1'`, { database: DB })) as unknown[];
    expect(guestRows).toHaveLength(3);
    const again = trials({ agent: 'vm1', group: GROUP, role: 'guest', test: 'cpu', runId: 'g1' }, guestStart, [{ events_per_sec: 50, latency_avg_ms: 20 }]);
    const { toWritten } = await import('../../test/support/sysbench-points.js');
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
    await calc().onResultsWritten(await writeTrials(fx.influxd.url, DB, [t2!]));
    let rows = await overheadRows('vm2', 'events_per_sec');
    expect(rows.map((r) => r.time.getNanoTime())).toEqual([(start + MIN).toString()]);
    expect(rows[0]!.n_guest).toBe(1); // one trial: still one run, its spread from the prior
    expect(rows[0]!.verdict).toBe('worse');
    await calc().onResultsWritten(await writeTrials(fx.influxd.url, DB, [t1!, t3!]));
    rows = await overheadRows('vm2', 'events_per_sec');
    expect(rows.map((r) => r.time.getNanoTime())).toEqual([start.toString()]);
    // Guest mean (10+12+11)/3 = 11; the baseline's runs b0 and b1 both have mean 100 (b1 the
    // nearest) → ratio 0.11, overhead (100/11 − 1)·100.
    expect(rows[0]!.baseline_run_id).toBe('b1');
    expect(rows[0]!.ratio).toBeCloseTo(0.11, 12);
    expect(rows[0]!.overhead_pct).toBeCloseTo((100 / 11 - 1) * 100, 9);
  });

  it('a baseline outside the window is not used', async () => {
    const start = T0 + 40n * HOUR; // b1 is 38 h earlier: outside 24 h
    const g = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ agent: 'vm3', group: GROUP, role: 'guest', test: 'cpu', runId: 'g3' }, start, [{ events_per_sec: 10 }, { events_per_sec: 11 }]),
    );
    await calc().onResultsWritten(g);
    expect(await overheadRows('vm3')).toHaveLength(0);
  });

  it('a margin set for the group wins over the default, and the verdict follows it', async () => {
    // A new guest like its baseline (99, 101, 100): at the default 3 % the run-to-run noise it must
    // assume (τ₀ 2 %, no history yet) exceeds the margin, so it cannot be equivalent; at 10 % it is.
    const g = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ agent: 'vm4', group: GROUP, role: 'guest', test: 'cpu', runId: 'g4' }, guestStart + 10n * MIN, [
        { events_per_sec: 99 },
        { events_per_sec: 101 },
        { events_per_sec: 100 },
      ]),
    );
    await calc().onResultsWritten(g);
    const at3 = (await overheadRows('vm4', 'events_per_sec'))[0]!;
    expect(at3).toMatchObject({ margin_pct: 3, margin_source: 'default', verdict: expected('calculator_alike_3').verdict });
    expect(at3.verdict).toBe('inconclusive');
    expect(at3.verdict_reason).toMatch(/^noise 4\.48 % exceeds the margin 3 %/);
    expect(at3.noise_floor_pct).toBeCloseTo(expected('calculator_alike_3').noise_floor, 6);
    const user = createOverheadCalculator({
      store: influxStore({ url: fx.influxd.url, database: DB }),
      windowMs: 24 * 3_600_000,
      margins: parseMarginSpec(`5,${GROUP}=10`),
    });
    await user.recomputeGuestRun({ group: GROUP, agent: 'vm4', test: 'cpu', profile: 'seed', runId: 'g4', threads: 1, anchorNs: guestStart + 10n * MIN });
    const at10 = (await overheadRows('vm4', 'events_per_sec'))[0]!;
    expect(at10).toMatchObject({ margin_pct: 10, margin_source: 'user', verdict: 'equivalent' });
    expect(expected('calculator_alike_10').verdict).toBe('equivalent');
  });

  it('a recompute that has fewer fields replaces the stored point instead of leaving old fields beside it', async () => {
    const start = T0 + 100n * HOUR;
    const base = { group: 'replace', test: 'cpu' } as const;
    const b1 = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ ...base, agent: 'hostR', role: 'baseline', runId: 'bR1' }, start, [{ events_per_sec: 100 }, { events_per_sec: 110 }, { events_per_sec: 90 }]),
    );
    const g = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ ...base, agent: 'vmR', role: 'guest', runId: 'gR' }, start + 20n * MIN, [
        { events_per_sec: 50 },
        { events_per_sec: 55 },
        { events_per_sec: 45 },
      ]),
    );
    await calc().onResultsWritten([...b1, ...g]);
    const before = (await overheadRows('vmR', 'events_per_sec'))[0]!;
    expect(before).toMatchObject({ baseline_run_id: 'bR1', verdict: 'worse' });
    expect(before.ratio).toBeCloseTo(0.5, 12);
    expect(before.ci_low_pct).toBeGreaterThan(0);
    // A nearer baseline run that printed 0 (a broken run): the baseline has no ratio now, so the
    // point loses its ratio and interval rather than keeping the old ones beside the new verdict.
    const b2 = await writeTrials(
      fx.influxd.url,
      DB,
      trials({ ...base, agent: 'hostR', role: 'baseline', runId: 'bR2' }, start + 15n * MIN, [{ events_per_sec: 0 }, { events_per_sec: 0 }]),
    );
    await calc().onResultsWritten(b2);
    const after = await overheadRows('vmR', 'events_per_sec');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ verdict: 'unmeasurable', ratio: null, ci_low_pct: null, overhead_pct: null });
  });

  it('rejects a nonsense window', () => {
    expect(() => createOverheadCalculator({ store: influxStore({ url: fx.influxd.url, database: DB }), windowMs: 0 })).toThrow(/windowMs/);
  });
});
