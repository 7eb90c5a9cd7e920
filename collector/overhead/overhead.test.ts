// The overhead calculator's rules against the in-memory store (test/support/memory-store.ts):
// which baseline runs and trials a guest run is compared with (the window's edges, the thread
// count, disturbed trials), where its point is stamped, that a recompute replaces and that one
// changing nothing writes nothing. The numbers of the first case are lib/compare/reference.py's (scipy,
// frozen in reference.json as `calculator_eps`), the same runs overhead.influx.test.ts stores in
// a real influxd.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMarginSpec } from '../../lib/compare/margin.js';
import { MemoryStore, storeTrials } from '../../test/support/memory-store.js';
import type { TrialSpec } from '../../test/support/sysbench-points.js';
import { createOverheadCalculator } from './index.js';
import { compareGuestRun, overheadFields, HISTORY_MS } from './compute.js';
import { sysbenchRows } from './rows.js';
import { AGENTS_PER_READ } from './batch.js';

const REF = JSON.parse(readFileSync(join(import.meta.dirname, '../../lib/compare/reference.json'), 'utf8')) as Record<
  string,
  { expected: { verdict: string; low: number; high: number; df: number } }
>;
const T0 = 1_767_225_600_000_000_000n;
const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const G = 'g';

function run(base: Omit<TrialSpec, 'trial' | 'timeNs' | 'values'>, start: bigint, eps: number[]): TrialSpec[] {
  return eps.map((v, i) => ({ ...base, trial: i + 1, timeNs: start + BigInt(i) * MIN, values: { events_per_sec: v } }));
}

const guest = () => run({ agent: 'vm', group: G, role: 'guest', test: 'cpu', runId: 'g1' }, T0, [50, 55, 45]);
const baseline = (runId: string, start: bigint, eps: number[]) => run({ agent: 'host', group: G, role: 'baseline', test: 'cpu', runId }, start, eps);
const eps = (store: MemoryStore) => store.all('overhead').filter((r) => r.tags.metric === 'events_per_sec');

describe('overhead calculator (in-memory store)', () => {
  it("the baseline's good runs in the window at the guest's thread count; one point stamped at the guest run's first trial", async () => {
    const store = new MemoryStore();
    const calc = createOverheadCalculator({ store, windowMs: 24 * 3_600_000 });
    await storeTrials(store, baseline('b9', T0 - 30n * HOUR, [1])); // outside the window
    await calc.onResultsWritten(await storeTrials(store, guest()));
    expect(store.all('overhead')).toEqual([]); // no baseline yet
    const written = await storeTrials(store, [
      ...baseline('b0', T0 - 3n * HOUR, [101, 99]),
      ...baseline('b1', T0 - 10n * MIN, [100, 102, 98]),
      { agent: 'host', group: G, role: 'baseline', test: 'cpu', runId: 'b1', trial: 4, ok: false, timeNs: T0 - 6n * MIN, values: { events_per_sec: 1 } },
      { agent: 'host', group: G, role: 'baseline', test: 'cpu', runId: 'b1', trial: 5, threads: 2, timeNs: T0 - 5n * MIN, values: { events_per_sec: 1000 } },
      ...run({ agent: 'other', group: 'other', role: 'baseline', test: 'cpu', runId: 'x' }, T0 - MIN, [1]), // another group
    ]);
    await calc.onResultsWritten(written); // baselines arriving recompute the guest runs near them
    const [p, ...more] = eps(store);
    expect(more).toEqual([]);
    expect(p!.timeNs).toBe(T0);
    expect(p!.tags).toMatchObject({ agent: 'vm', baseline_agent: 'host', group: G, role: 'guest', test: 'cpu' });
    const e = REF.calculator_eps!.expected;
    expect(p!.fields).toMatchObject({
      run_id: 'g1',
      baseline_run_id: 'b1',
      baseline_run_ids: 'b0,b1',
      runs_baseline: 2,
      n_guest: 3,
      n_baseline: 5,
      verdict: e.verdict,
    });
    expect(p!.fields.ratio).toBeCloseTo(0.5, 12);
    expect(p!.fields.ci_low_pct).toBeCloseTo(e.low, 6);
    expect(p!.fields.ci_high_pct).toBeCloseTo(e.high, 6);
    expect(p!.fields.df).toBeCloseTo(e.df, 6);
  });

  it('trials arriving out of order: the point moves to the first trial, the one stamped at a later trial goes', async () => {
    const store = new MemoryStore();
    const calc = createOverheadCalculator({ store });
    await storeTrials(store, baseline('b1', T0 - 10n * MIN, [100, 110, 90]));
    const [t1, t2, t3] = guest();
    await calc.onResultsWritten(await storeTrials(store, [t2!]));
    expect(eps(store).map((r) => [r.timeNs, r.fields.n_guest])).toEqual([[T0 + MIN, 1]]);
    await calc.onResultsWritten(await storeTrials(store, [t1!, t3!]));
    expect(eps(store).map((r) => [r.timeNs, r.fields.n_guest])).toEqual([[T0, 3]]);
  });

  it('a recompute replaces the stored point: a field the new one lacks does not stay beside it', async () => {
    const store = new MemoryStore();
    const calc = createOverheadCalculator({ store });
    await storeTrials(store, baseline('b1', T0 - 10n * MIN, [100, 110, 90]));
    await calc.onResultsWritten(await storeTrials(store, guest()));
    const [stored] = eps(store);
    // What an older collector (or an earlier rule) left on the point.
    await store.write([{ measurement: 'overhead', tags: stored!.tags, fields: { old_field: 1 }, timestamp: T0.toString() }]);
    await calc.recomputeGuestRun({ group: G, agent: 'vm', test: 'cpu', profile: 'seed', runId: 'g1', threads: 1, anchorNs: T0 });
    expect(eps(store)).toEqual([stored]);
  });

  it("a margin set for the group is the point's margin; other groups keep theirs", async () => {
    const store = new MemoryStore();
    await storeTrials(store, [
      ...baseline('b1', T0 - 10n * MIN, [100, 110, 90]),
      ...baseline('b1', T0 - 10n * MIN, [100, 110, 90]).map((t) => ({ ...t, group: 'h' })),
    ]);
    const calc = createOverheadCalculator({ store, margins: parseMarginSpec(`7,${G}=10`) });
    await calc.onResultsWritten(await storeTrials(store, [...guest(), ...guest().map((t) => ({ ...t, group: 'h' }))]));
    expect(eps(store).map((r) => [r.tags.group, r.fields.margin_pct, r.fields.margin_source])).toEqual([
      [G, 10, 'user'],
      ['h', 7, 'user'],
    ]);
  });

  it("the window's edges: a baseline trial exactly the window before the guest run's start counts, one nanosecond earlier does not", async () => {
    const DAY = 24n * HOUR;
    for (const [offset, expected] of [
      [DAY, 'edge'],
      [DAY + 1n, undefined],
    ] as const) {
      const store = new MemoryStore();
      await storeTrials(store, baseline('edge', T0 - offset, [100]));
      await createOverheadCalculator({ store, windowMs: 24 * 3_600_000 }).onResultsWritten(await storeTrials(store, guest()));
      expect(eps(store).map((r) => r.fields.baseline_run_id)).toEqual(expected === undefined ? [] : [expected]);
    }
    // And after the guest run: the window reaches as far forward.
    const store = new MemoryStore();
    await storeTrials(store, [...baseline('after', T0 + DAY, [100]), ...baseline('late', T0 + DAY + 1n, [100])]);
    await createOverheadCalculator({ store }).onResultsWritten(await storeTrials(store, guest()));
    expect(eps(store).map((r) => [r.fields.baseline_run_id, r.fields.n_baseline])).toEqual([['after', 1]]);
  });

  it('disturbed trials: counted always, left out of the comparison only when asked', async () => {
    const disturbedAt = (t: TrialSpec, i: number): TrialSpec => ({ ...t, disturbed: i === 2 ? 'steal' : false });
    for (const excludeDisturbed of [false, true]) {
      const store = new MemoryStore();
      await storeTrials(store, baseline('b1', T0 - 10n * MIN, [100, 110, 90]).map(disturbedAt));
      // The disturbed guest trial is far below the others: leaving it out moves the ratio.
      const g = run({ agent: 'vm', group: G, role: 'guest', test: 'cpu', runId: 'g1' }, T0, [50, 50, 5]).map(disturbedAt);
      await createOverheadCalculator({ store, excludeDisturbed }).onResultsWritten(await storeTrials(store, g));
      const [p] = eps(store);
      expect([p!.fields.n_guest, p!.fields.n_baseline, p!.fields.n_disturbed_guest, p!.fields.n_disturbed_baseline, p!.fields.disturbed_excluded]).toEqual(
        excludeDisturbed ? [2, 2, 1, 1, true] : [3, 3, 1, 1, false],
      );
      // Means: guest 105/3 or 50, baseline 100 or 105 (the quiet trials).
      expect(p!.fields.ratio).toBeCloseTo(excludeDisturbed ? 50 / 105 : 105 / 3 / 100, 9);
    }
  });

  it('every trial of a run disturbed and left out: no point, and the one stored before goes', async () => {
    const store = new MemoryStore();
    await storeTrials(store, baseline('b1', T0 - 10n * MIN, [100, 110, 90]));
    await createOverheadCalculator({ store }).onResultsWritten(await storeTrials(store, guest()));
    expect(eps(store)).toHaveLength(1);
    const written = await storeTrials(
      store,
      guest().map((t) => ({ ...t, disturbed: 'steal' })),
    );
    await createOverheadCalculator({ store, excludeDisturbed: true }).onResultsWritten(written);
    expect(eps(store)).toEqual([]);
  });

  it('many guests and a baseline in one batch: the points of computing each alone; computing again writes nothing', async () => {
    const guests = (store: MemoryStore, i: number) =>
      storeTrials(store, run({ agent: `vm${i}`, group: G, role: 'guest', test: 'cpu', runId: `g${i}` }, T0 + BigInt(i) * MIN, [50 + i, 55, 45]));
    const alone = new MemoryStore();
    await storeTrials(alone, baseline('b1', T0 - 10n * MIN, [100, 110, 90]));
    for (let i = 0; i < 5; i++) await createOverheadCalculator({ store: alone }).onResultsWritten(await guests(alone, i));
    const batch = new MemoryStore();
    const written = [];
    for (let i = 0; i < 5; i++) written.push(...(await guests(batch, i)));
    written.push(...(await storeTrials(batch, baseline('b1', T0 - 10n * MIN, [100, 110, 90]))));
    const calc = createOverheadCalculator({ store: batch });
    await calc.onResultsWritten(written);
    expect(batch.all('overhead')).toEqual(alone.all('overhead'));
    expect(batch.all('overhead').filter((r) => r.tags.metric === 'events_per_sec')).toHaveLength(5);
    const writes = batch.writes.length;
    await calc.onResultsWritten(written);
    expect(batch.writes.length).toBe(writes);
  });

  it('two agents whose runs interleave in time and share run ids, two variants: each point is its own run against the rows a plain filter picks', async () => {
    // batch.ts indexes a batch's rows by agent and run, and by agent and variant in time order. A
    // wrong key (run id alone, agent alone) or a wrong history slice gives other trials or another
    // history; the oracle here picks the rows with plain filters over everything stored.
    const store = new MemoryStore();
    const specs: TrialSpec[] = [...baseline('b1', T0 - 20n * MIN, [100, 104, 96]), ...baseline('b2', T0 + 40n * MIN, [99, 101, 103])];
    for (let k = 0; k < 6; k++) {
      const at = T0 + BigInt(k) * 10n * MIN;
      const variant = k % 2 === 0 ? 'x' : 'y';
      specs.push(...run({ agent: 'a', group: G, role: 'guest', test: 'cpu', runId: `r${k}`, variant }, at, [50 + k, 52 + 2 * k, 47]));
      specs.push(...run({ agent: 'b', group: G, role: 'guest', test: 'cpu', runId: `r${k}` }, at + MIN / 2n, [70 - k, 75, 66 + k, 71]));
    }
    const calc = createOverheadCalculator({ store, windowMs: 24 * 3_600_000 });
    await calc.onResultsWritten(await storeTrials(store, specs));

    const rows = sysbenchRows(store.all('sysbench'));
    const points = eps(store);
    expect(points).toHaveLength(12);
    for (const agent of ['a', 'b'])
      for (let k = 0; k < 6; k++) {
        const own = rows.filter((r) => r.tags.agent === agent && r.runId === `r${k}`);
        const start = own.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), own[0]!.timeNs);
        const history = rows.filter(
          (r) => r.tags.agent === agent && r.tags.variant === own[0]!.tags.variant && r.timeNs >= start - BigInt(HISTORY_MS) * 1_000_000n && r.timeNs < start,
        );
        const base = rows.filter((r) => r.tags.role === 'baseline');
        const expected = compareGuestRun(own, history, base).find((m) => m.metric === 'events_per_sec')!;
        const got = points.filter((p) => p.tags.agent === agent && p.fields.run_id === `r${k}`);
        expect(got).toHaveLength(1);
        expect(got[0]!.timeNs).toBe(start);
        expect(got[0]!.fields).toMatchObject(overheadFields(expected));
        expect(got[0]!.fields.n_guest).toBe(agent === 'a' ? 3 : 4);
      }
  });
  it('a baseline run near the runs of more guests than one read names: every run computed, each as computed alone', async () => {
    // batch.ts computes a group AGENTS_PER_READ guests at a time (issue 26): a chunk lost or cut
    // short at its edge, or the guests near a baseline result not listed, leaves runs without points.
    const n = AGENTS_PER_READ + 5;
    const guestRuns = (i: number) =>
      [-3n, 3n].flatMap((h, k) =>
        run({ agent: `vm${String(i).padStart(2, '0')}`, group: G, role: 'guest', test: 'cpu', runId: `g${i}-${k}` }, T0 + h * HOUR + BigInt(i) * MIN, [
          50 + i,
          55 - k,
          45,
        ]),
      );
    const base = baseline('b1', T0, [100, 110, 90]);
    const alone = new MemoryStore();
    await storeTrials(alone, base);
    for (let i = 0; i < n; i++) await createOverheadCalculator({ store: alone }).onResultsWritten(await storeTrials(alone, guestRuns(i)));
    const batch = new MemoryStore();
    const calc = createOverheadCalculator({ store: batch });
    for (let i = 0; i < n; i++) await calc.onResultsWritten(await storeTrials(batch, guestRuns(i)));
    expect(batch.all('overhead')).toEqual([]); // no baseline yet
    await calc.onResultsWritten(await storeTrials(batch, base));
    expect(eps(batch)).toHaveLength(2 * n);
    expect(batch.all('overhead')).toEqual(alone.all('overhead'));
  });
  it('reads only the compared fields and gets the points every field gives: the printing step kept (rounding_pct)', async () => {
    // batch.ts reads COMPARED_FIELDS (rows.ts), not SELECT *; the oracle compares rows with every field.
    const step = (specs: TrialSpec[]) => specs.map((t) => ({ ...t, values: { ...t.values, events_per_sec_resolution: 2 } }));
    const store = new MemoryStore();
    await storeTrials(store, step(baseline('b1', T0 - 10n * MIN, [100, 101, 100])));
    await createOverheadCalculator({ store }).onResultsWritten(await storeTrials(store, step(guest())));
    const rows = sysbenchRows(store.all('sysbench'));
    const expected = compareGuestRun(
      rows.filter((r) => r.tags.role === 'guest'),
      [],
      rows.filter((r) => r.tags.role === 'baseline'),
    ).find((m) => m.metric === 'events_per_sec')!;
    const [p] = eps(store);
    expect(p!.fields.rounding_pct).toBeTypeOf('number');
    expect(p!.fields).toMatchObject(overheadFields(expected));
  });
});
