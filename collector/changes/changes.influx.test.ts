// The change detector against a real influxd, fed the way the collector feeds it (sysbench
// points written, then overhead.onResultsWritten, then changes.onResultsWritten). The same
// results delivered in one batch, one run at a time, and one at a time across a restart with a
// run arriving late must leave the same `overhead_change` points.
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../../test/support/fixture.js';
import { createOverheadCalculator } from '../overhead/index.js';
import type { WrittenResult } from '../listener.js';
import { writeTrials, type TrialSpec } from '../../test/support/sysbench-points.js';
import { createChangeDetector } from './index.js';
import { influxStore } from '../store/influx.js';

const fx = influxdFixture('changes-influx-');

const HOUR = 3_600_000_000_000n;
const RUNS = 40;
const SHIFT_AT = 25;
// Runs of the last 10 days (the detector analyses the last 400 days), 6 hours apart.
const T0 = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - BigInt(RUNS) * 6n * HOUR;

const client = (database: string) => new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database });
const storeOf = (database: string) => influxStore({ url: fx.influxd.url, database });

/** Deterministic noise in [-1, 1). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}

/**
 * One run's trials per agent: the baseline at 1000 events/s, guest "vm-shift" at 900 that drops
 * to 630 (−30 %) from run SHIFT_AT on, guest "vm-steady" at 850 throughout; ±2 % trial noise.
 */
function runTrials(i: number): TrialSpec[][] {
  const r = lcg(1000 + i);
  const at = T0 + BigInt(i) * 6n * HOUR;
  const minute = 60_000_000_000n;
  const run = (agent: string, role: 'baseline' | 'guest', level: number, offset: bigint): TrialSpec[] =>
    [0, 1, 2].map((t) => ({
      agent,
      group: 'cp',
      role,
      test: 'cpu',
      runId: `${agent}-${i}`,
      trial: t + 1,
      timeNs: at + offset + BigInt(t) * minute,
      values: { events_per_sec: level * (1 + 0.02 * r()) },
    }));
  return [run('native', 'baseline', 1000, 0n), run('vm-shift', 'guest', i < SHIFT_AT ? 900 : 630, 5n * minute), run('vm-steady', 'guest', 850, 10n * minute)];
}

/** Writes a batch and runs the collector's two steps on it. */
async function deliver(database: string, batch: TrialSpec[], changes: ReturnType<typeof createChangeDetector>): Promise<void> {
  const written: WrittenResult[] = await writeTrials(`http://127.0.0.1:${fx.influxd.port}`, database, batch);
  await createOverheadCalculator({ store: storeOf(database) }).onResultsWritten(written);
  await changes.onResultsWritten(written);
}

async function changePoints(database: string): Promise<Array<Record<string, unknown>>> {
  const rows = (await client(database).query(`SELECT * FROM "overhead_change"`)) as unknown as Array<
    Record<string, unknown> & { time: { getNanoTime(): string } }
  >;
  return rows.map((r) => ({ ...r, time: r.time.getNanoTime() }));
}

describe('change detector: idempotent (real influxd)', () => {
  const all = Array.from({ length: RUNS }, (_, i) => runTrials(i));
  let reference: Array<Record<string, unknown>>;

  it('one batch: exactly one change, at the shifted guest’s run SHIFT_AT; none for the steady guest', async () => {
    await client('one_batch').createDatabase('one_batch');
    await deliver('one_batch', all.flat(2), createChangeDetector({ store: storeOf('one_batch') }));
    reference = await changePoints('one_batch');
    expect(reference.map((p) => [p.agent, p.metric, p.run_id, p.before_run_id, p.kind, p.cause])).toEqual([
      ['vm-shift', 'events_per_sec', `vm-shift-${SHIFT_AT}`, `vm-shift-${SHIFT_AT - 1}`, 'regression', 'guest'],
    ]);
    // 900 → 630 events/s against 1000: overhead (1000/900 − 1) ≈ 11.1 % → (1000/630 − 1) ≈ 58.7 %.
    expect(reference[0]!.before_pct as number).toBeCloseTo(11.1, 0);
    expect(reference[0]!.after_pct as number).toBeCloseTo(58.7, 0);
  });

  it('one run at a time (each agent’s run its own batch): the same points', async () => {
    await client('one_by_one').createDatabase('one_by_one');
    const det = createChangeDetector({ store: storeOf('one_by_one') });
    for (const run of all) for (const agentRun of run) await deliver('one_by_one', agentRun, det);
    expect(await changePoints('one_by_one')).toEqual(reference);
  });

  it('across a restart, with a baseline run arriving late: the same points', async () => {
    await client('restart').createDatabase('restart');
    const first = createChangeDetector({ store: storeOf('restart') });
    const late = all[SHIFT_AT + 2]![0]!; // the baseline's run 27, delivered last
    for (let i = 0; i < 30; i++) for (const agentRun of all[i]!) if (agentRun !== late) await deliver('restart', agentRun, first);
    // A new collector process: nothing in memory.
    const second = createChangeDetector({ store: storeOf('restart') });
    for (let i = 30; i < RUNS; i++) for (const agentRun of all[i]!) await deliver('restart', agentRun, second);
    await deliver('restart', late, second);
    expect(await changePoints('restart')).toEqual(reference);
  });

  it('bounded to the newest 20 runs a series: one batch and one run at a time still agree', async () => {
    const results: Array<Array<Record<string, unknown>>> = [];
    for (const [db, oneByOne] of [
      ['bounded_batch', false],
      ['bounded_single', true],
    ] as const) {
      await client(db).createDatabase(db);
      const det = createChangeDetector({ store: storeOf(db), maxRuns: 20 });
      if (oneByOne) for (const run of all) for (const agentRun of run) await deliver(db, agentRun, det);
      else await deliver(db, all.flat(2), det);
      results.push(await changePoints(db));
    }
    expect(results[1]).toEqual(results[0]);
    // The change at run SHIFT_AT is found against the 5 runs before it that are among the newest 20.
    expect(results[0]!.map((p) => [p.agent, p.run_id, p.n_before])).toEqual([['vm-shift', `vm-shift-${SHIFT_AT}`, SHIFT_AT - (RUNS - 20)]]);
  });

  it('a stale point left by an earlier analysis is removed by the first batch after a restart', async () => {
    const influx = client('restart');
    await influx.writePoints(
      [
        {
          measurement: 'overhead_change',
          tags: { group: 'cp', agent: 'vm-steady', test: 'cpu', profile: 'seed', metric: 'events_per_sec' },
          fields: { run_id: 'bogus' },
          timestamp: (T0 + HOUR).toString(),
        },
      ],
      { precision: 'n' },
    );
    const det = createChangeDetector({ store: storeOf('restart') });
    await deliver('restart', all[RUNS - 1]![2]!, det); // vm-steady's last run again
    expect(await changePoints('restart')).toEqual(reference);
  });
});
