// The nested-stack calculator's rules against the in-memory store: which layer is compared with
// which, in any arrival order, stamped at each run's first trial, problems reported once the
// declarations are wrong. Values by hand (docs/overhead.md "Nested stacks"): L0 100/110/90,
// L1 50/55/45, L2 10/11/9 events/s, so L1/L0 = 0.5, L2/L1 = 0.2, L2/L0 = 0.1 = the product of
// the layers, the same L1 run in both layers. Intervals: chain.influx.test.ts (real influxd).
import { describe, expect, it } from 'vitest';
import { MemoryStore, storeTrials } from '../../../test/support/memory-store.js';
import type { TrialSpec } from '../../../test/support/sysbench-points.js';
import { createChainCalculator } from './calculator.js';
import type { ChainProblem } from './resolve.js';

const T0 = 1_767_225_600_000_000_000n;
const MIN = 60_000_000_000n;

function run(agent: string, role: 'baseline' | 'guest', parent: string | undefined, start: bigint, eps: number[], group = 'g'): TrialSpec[] {
  return eps.map((v, i) => ({
    agent,
    group,
    role,
    parent,
    test: 'cpu',
    runId: `${agent}-run`,
    trial: i + 1,
    timeNs: start + BigInt(i) * MIN,
    values: { events_per_sec: v },
  }));
}

const points = (store: MemoryStore, agent: string) =>
  store
    .all('overhead_chain')
    .filter((r) => r.tags.agent === agent && r.tags.metric === 'events_per_sec')
    .map((r): Record<string, unknown> => ({ at: r.timeNs, against: r.tags.against, vs: r.tags.baseline_agent, ...r.fields }));

describe('chain calculator (in-memory store)', () => {
  it('root → L1 → L2 arriving top first: each layer against its parent, each against the root, the layers multiply to the whole', async () => {
    const store = new MemoryStore();
    const problems: ChainProblem[] = [];
    const calc = createChainCalculator({ store, onProblem: (p) => problems.push(p) });
    await calc.onResultsWritten(await storeTrials(store, run('l2', 'guest', 'l1', T0 + 20n * MIN, [10, 11, 9])));
    await calc.onResultsWritten(await storeTrials(store, run('l1', 'guest', 'l0', T0 + 10n * MIN, [50, 55, 45])));
    expect(problems.map((p) => `${p.agent} ${p.kind}`)).toContain('l1 parent-missing');
    await calc.onResultsWritten(await storeTrials(store, run('l0', 'baseline', undefined, T0, [100, 110, 90])));

    const l2 = points(store, 'l2');
    expect(l2.map((p) => [p.at, p.against, p.vs, p.depth, p.chain, p.baseline_run_id])).toEqual([
      [T0 + 20n * MIN, 'parent', 'l1', 2, 'l0 > l1 > l2', 'l1-run'],
      [T0 + 20n * MIN, 'root', 'l0', 2, 'l0 > l1 > l2', 'l0-run'],
    ]);
    const [parent, root] = l2;
    expect(parent!.ratio).toBeCloseTo(0.2, 12);
    expect(root!.ratio).toBeCloseTo(0.1, 12);
    expect(root!.layers_ratio).toBeCloseTo(0.2 * 0.5, 12);
    expect(root!.interaction_ratio).toBeCloseTo(1, 12);
    expect(root!.layers_agree).toBe(true);
    expect(points(store, 'l1').map((p) => [p.against, p.vs, p.ratio])).toEqual([
      ['parent', 'l0', expect.closeTo(0.5, 12)],
      ['root', 'l0', expect.closeTo(0.5, 12)],
    ]);
    expect(points(store, 'l0')).toEqual([]); // the root is compared with nothing
    expect(store.all('overhead')).toEqual([]); // the baseline comparison's measurement is not touched
  });

  it("a middle layer that ran twice: L2's layer names the L1 run nearest it, and the layers still multiply to the whole stack", async () => {
    const store = new MemoryStore();
    const calc = createChainCalculator({ store });
    await storeTrials(store, [...run('l0', 'baseline', undefined, T0, [100, 110, 90]), ...run('l2', 'guest', 'l1', T0 + 20n * MIN, [10, 11, 9])]);
    await storeTrials(store, run('l1', 'guest', 'l0', T0 + 2n * MIN, [50, 55, 45]));
    const later = run('l1', 'guest', 'l0', T0 + 18n * MIN, [12.5, 13.75, 11.25]).map((t) => ({ ...t, runId: 'l1-later' }));
    await calc.onResultsWritten(await storeTrials(store, later));
    const [parent, root] = points(store, 'l2');
    expect([parent!.against, parent!.baseline_run_id, root!.against, root!.baseline_run_id]).toEqual(['parent', 'l1-later', 'root', 'l0-run']);
    expect(root!.ratio).toBeCloseTo(0.1, 12);
    // L2/L1-later · L1-later/L0 = 0.8 · 0.125: one L1 run on both sides, so the whole stack again.
    expect(root!.layers_ratio).toBeCloseTo(0.8 * 0.125, 12);
  });

  it('a parent in another group is named as such, and its child gets no layer', async () => {
    const store = new MemoryStore();
    const problems: Array<ChainProblem & { group: string }> = [];
    await storeTrials(store, run('h0', 'baseline', undefined, T0, [100, 110, 90], 'h'));
    const written = await storeTrials(store, run('o1', 'guest', 'h0', T0 + MIN, [50, 55, 45]));
    await createChainCalculator({ store, onProblem: (p) => problems.push(p) }).onResultsWritten(written);
    expect(problems.map((p) => [p.group, p.agent, p.kind])).toEqual([['g', 'o1', 'parent-other-group']]);
    expect(store.all('overhead_chain')).toEqual([]);
  });
});
