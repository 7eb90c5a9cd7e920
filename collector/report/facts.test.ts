// The systems block's facts (report/facts.ts), against the in-memory store
// (test/support/memory-store.ts): each system gets the newest agent_info point at or before its
// run, else the newest there is; the identity tags come from that point, else from the run.
// Unit tier: no InfluxDB (the real path: collector/facts/facts.influx.test.ts and the report
// tests, which read the same function through a real influxd).
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import { mulberry32 } from '../../lib/stats/random.js';
import type { Selection, StorePoint } from '../store/store.js';
import { newestFacts, readSystemFacts, type SystemKey } from './facts.js';

const MS = 1_000_000n;
const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function info(agent: string, atMs: number, fields: Record<string, string | number>, tags: Record<string, string> = {}): StorePoint {
  return {
    measurement: 'agent_info',
    tags: { group: 'g', agent, role: 'guest', virt: 'kvm', kvm: 'usable', variant: 'default', ...tags },
    fields,
    timestamp: (BigInt(atMs) * MS).toString(),
  };
}

const key = (agent: string, at: string | null): SystemKey => ({
  group: 'g',
  agent,
  label: agent,
  role: 'guest',
  variant: 'default',
  virt: 'qemu',
  kvm: 'none',
  at,
});

describe('readSystemFacts on the store', () => {
  it('the facts in force at each run, the newest for a run older than every point, nulls for an agent with none', async () => {
    const store = new MemoryStore();
    await store.write([
      info('vm1', T0, { os: 'Debian 12', kernel: '6.1.0', cpus: 2, memory_bytes: 2 ** 31 }),
      info('vm1', T0 + 3_600_000, { os: 'Debian 12', kernel: '6.1.99', cpus: 4, memory_bytes: 2 ** 32 }, { container: 'lxc' }),
      info('vm2', T0 + 7_200_000, { os: 'Debian 11', sysbench_version: '1.0.20' }, { virt: 'tcg', kvm: 'absent' }),
    ]);
    const [between, after, older, none, newest] = await readSystemFacts(store, [
      key('vm1', iso(T0 + 1_800_000)),
      key('vm1', iso(T0 + 7_200_000)),
      key('vm2', iso(T0)),
      key('vm3', iso(T0)),
      key('vm1', null),
    ]);
    expect(between!.facts).toMatchObject({ os: 'Debian 12', kernel: '6.1.0', cpus: 2, memory_bytes: 2 ** 31, qemu_version: null });
    expect(between!.factsTime).toBe(iso(T0));
    expect(between!.container).toBeNull();
    expect(after!.facts).toMatchObject({ kernel: '6.1.99', cpus: 4 });
    expect(after!.container).toBe('lxc');
    expect(after!.factsTime).toBe(iso(T0 + 3_600_000));
    // vm2's only point is after its run (a clock behind the collector's): that one, its tags over the run's.
    expect(older!.facts).toMatchObject({ os: 'Debian 11', sysbench_version: '1.0.20', kernel: null });
    expect([older!.virt, older!.kvm]).toEqual(['tcg', 'absent']);
    expect(none!.facts.os).toBeNull();
    expect(none!.factsTime).toBeNull();
    expect([none!.virt, none!.kvm]).toEqual(['qemu', 'none']);
    expect(newest!.facts.kernel).toBe('6.1.99');
  });

  it('answers nothing for no systems, and keeps the systems in the order asked', async () => {
    const store = new MemoryStore();
    await store.write([info('a', T0, { os: 'A' }), info('b', T0, { os: 'B' })]);
    expect(await readSystemFacts(store, [])).toEqual([]);
    const out = await readSystemFacts(store, [key('b', null), key('a', null), key('b', iso(T0))]);
    expect(out.map((s) => [s.agent, s.facts.os])).toEqual([
      ['b', 'B'],
      ['a', 'A'],
      ['b', 'B'],
    ]);
  });

  // The shortcut (facts.ts NewestFacts): each agent's newest point read once, the per-system
  // statements only where it cannot answer. The same facts as the statements alone.
  it("each agent's newest point read first answers as the per-system statements do", async () => {
    const r = mulberry32(23);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const times = [0, 1, 2, 3, 5, 8].map((h) => T0 + h * 3_600_000);
    for (let round = 0; round < 40; round++) {
      const store = new MemoryStore();
      const points: StorePoint[] = [];
      // One agent name in two groups; an agent's points in up to three series (its virt, kvm or container changed); equal times across series.
      for (const group of ['g0', 'g1'])
        for (const agent of ['a', 'b', 'c', 'd'])
          for (let n = Math.floor(r() * 5); n > 0; n--)
            points.push(
              info(agent, pick(times), { kernel: `${group}-${agent}-${n}`, cpus: n }, { group, virt: pick(['kvm', 'tcg']), container: pick(['none', 'lxc']) }),
            );
      await store.write(points);
      const keys = Array.from({ length: 12 }, () => ({
        ...key(pick(['a', 'b', 'c', 'd', 'e']), r() < 0.2 ? null : iso(pick(times) + pick([-1, 0, 1]))),
        group: pick(['g0', 'g1']),
      }));
      const slow = await readSystemFacts(store, keys);
      for (const groups of [undefined, ['g0'], ['g0', 'g1'], []]) {
        const fast = await readSystemFacts(store, keys, newestFacts(store, groups));
        expect(fast, `round ${round}, groups ${String(groups)}`).toEqual(slow);
      }
    }
  });

  it("asks nothing more of the store when every agent's newest point is at or before its run, or there is none", async () => {
    const store = new MemoryStore();
    await store.write([info('a', T0, { os: 'A' }), info('a', T0 + 3_600_000, { os: 'A2' }, { virt: 'tcg' }), info('b', T0, { os: 'B' })]);
    const asked: Selection[][] = [];
    const watched = Object.assign(Object.create(store) as MemoryStore, {
      selectMany: (s: readonly Selection[]) => (asked.push([...s]), store.selectMany(s)),
    });
    const keys = [key('a', iso(T0 + 3_600_000)), key('b', null), key('c', iso(T0)), key('a', iso(T0 + 7_200_000))];
    const out = await readSystemFacts(watched, keys, newestFacts(store));
    expect(out.map((s) => s.facts.os)).toEqual(['A2', 'B', null, 'A2']);
    expect(asked).toEqual([]);
    // A run before the agent's newest point: that system alone is asked for (its two statements).
    await readSystemFacts(watched, [key('a', iso(T0 + 1_800_000)), key('b', iso(T0))], newestFacts(store));
    expect(asked.map((s) => s.length)).toEqual([2]);
  });
});
