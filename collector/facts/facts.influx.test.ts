// Facts stored when they change (issue 23 item 2), read by every reader as before (real influxd).
// One agent's day-by-day life — hellos and runs every 6 hours, the kernel changed once and
// sysbench upgraded under the running agent once — is stored twice: in group `old` as earlier
// versions stored it (a point at every hello and every run, which is also what old data looks
// like), in group `new` by the recorder (a point per change). The report's facts at each run, the
// Grafana inventory and "Facts changed" annotation, and the change detector's facts at each run
// give the same answers on both, and those answers are the facts the agent reported then.
// Then a long history: the detector reads the facts of its window only (rows counted).
import { describe, expect, it } from 'vitest';
import type { IPoint } from 'influx';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import type { IdentityTags } from '../../schema/influx.js';
import { interpolate } from '../../grafana/interpolate.js';
import { FACTS_CHANGED_QUERY, inventory } from '../../grafana/facts.js';
import { newestFacts, readSystemFacts, REPORT_FACTS } from '../report/facts.js';
import { createChangeDetector } from '../changes/index.js';
import type { Store, StorePoint } from '../store/store.js';
import type { Facts } from './changed.js';
import { agentInfoPoint, factsAt, factsWindow, storedFacts } from './index.js';
import { FactsRecorder, type Observation } from './recorder.js';

const DB = 'facts_readers';
const db = usePrivateInfluxd(DB);
const HOUR = 3_600_000_000_000n;
const MIN = 60_000_000_000n;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01

const tags = (group: string, agent: string): IdentityTags => ({
  agent,
  host: agent,
  group,
  role: 'guest',
  virt: 'kvm',
  container: 'none',
  kvm: 'usable',
  variant: 'default',
});
const BASE: Facts = {
  os: 'Debian GNU/Linux 12',
  kernel: '6.1.0',
  arch: 'x64',
  cpu_model: 'AMD EPYC',
  cpus: '4',
  memory_bytes: '8589934592',
  agent_version: '0.1.0',
  sysbench_version: '1.0.20',
};

/** What the agent reported at each step: 16 runs, the kernel new from run 6, sysbench upgraded under the agent during run 11 (its next hello says so too). */
function life(group: string, agent: string, from = T0, runs = 16): Array<Observation & { truth: Facts }> {
  const out: Array<Observation & { truth: Facts }> = [];
  for (let i = 0; i < runs; i++) {
    const at = from + BigInt(i) * 6n * HOUR;
    const helloFacts = { ...BASE, kernel: i >= 6 ? '6.12.0' : '6.1.0', sysbench_version: i >= 12 ? '1.0.21' : '1.0.20' };
    out.push({ tags: tags(group, agent), timeNs: at, facts: { hello: helloFacts }, truth: helloFacts });
    const version = i >= 11 ? '1.0.21' : '1.0.20';
    out.push({
      tags: tags(group, agent),
      timeNs: at + 5n * MIN,
      facts: { sysbenchVersion: version },
      runId: `run-${i}`,
      truth: { ...helloFacts, sysbench_version: version },
    });
  }
  return out;
}

/** What earlier versions stored: a point at every hello and every run, each compared with the one before. */
function pointPerObservation(observations: readonly Observation[]): IPoint[] {
  let previous: Facts | null = null;
  return observations.map((o) => {
    const facts: Facts = 'hello' in o.facts ? o.facts.hello : { ...(previous ?? {}), sysbench_version: o.facts.sysbenchVersion };
    const p = agentInfoPoint(o.tags, facts, previous, o.timeNs);
    if (o.runId) p.fields = { ...p.fields, run_id: o.runId };
    previous = facts;
    return p;
  });
}

const toStore = (p: IPoint): StorePoint => ({
  measurement: 'agent_info',
  tags: p.tags as Record<string, string>,
  fields: p.fields as StorePoint['fields'],
  timestamp: String(p.timestamp),
});

/** Rows of a query with ns times, tags and fields as columns. */
async function rows(q: string): Promise<Array<Record<string, unknown>>> {
  const res = (await db.influx.query(q, { precision: 'n' as never })) as unknown as Array<Record<string, unknown> & { time: { getNanoTime(): string } }>;
  return res.map((r) => ({ ...r, time: r.time.getNanoTime() }));
}

/** Counts the agent_info rows the store returns. */
function counting(store: Store): { store: Store; rows: () => number } {
  let n = 0;
  return {
    store: {
      ...store,
      write: (p) => store.write(p),
      selectMany: async (ss) => {
        const r = await store.selectMany(ss);
        ss.forEach((s, i) => (n += s.measurement === 'agent_info' ? r[i]!.length : 0));
        return r;
      },
      tagValues: (m, k, w) => store.tagValues(m, k, w),
      delete: (m, w) => store.delete(m, w),
      select: async (s) => {
        const r = await store.select(s);
        if (s.measurement === 'agent_info') n += r.length;
        return r;
      },
    },
    rows: () => n,
  };
}

const ALL = { multi: false, value: '.*' } as const; // Grafana's allValue, unescaped
const vars = (group: string) => ({ group: { multi: false, value: group }, agent: ALL, virt: ALL, variant: ALL }) as const;
const RANGE = { fromMs: Number(T0 / 1_000_000n) - 86_400_000, toMs: Number(T0 / 1_000_000n) + 10 * 86_400_000 };

describe('agent_info stored when facts change, read as before (real influxd)', () => {
  const seq = { old: life('old', 'vm1'), new: life('new', 'vm1') };

  it('the recorder stores 3 points where earlier versions stored 32', async () => {
    await db.store.write(pointPerObservation(seq.old).map(toStore));
    const rec = new FactsRecorder(db.store);
    for (const o of seq.new) await rec.record([o]); // one at a time, as hellos and runs arrive
    const count = async (g: string) => (await rows(`SELECT count("kernel") FROM "agent_info" WHERE "group" = '${g}'`))[0]!.count;
    expect(await count('old')).toBe(32);
    expect(await count('new')).toBe(3);
  });

  it("the report's facts at each run are the same on both, and are what the agent reported", async () => {
    for (const o of seq.old.filter((x) => x.runId)) {
      const at = new Date(Number(o.timeNs / 1_000_000n)).toISOString();
      const key = (group: string) => ({ group, agent: 'vm1', label: 'vm1', role: 'guest', variant: 'default', virt: 'kvm', kvm: 'usable', at });
      const [old, now] = [(await readSystemFacts(db.store, [key('old')]))[0]!, (await readSystemFacts(db.store, [key('new')]))[0]!];
      // Each agent's newest point read first (the report's shortcut, facts.ts): the same answers.
      expect((await readSystemFacts(db.store, [key('old')], newestFacts(db.store)))[0]).toEqual(old);
      expect((await readSystemFacts(db.store, [key('new')], newestFacts(db.store, ['new'])))[0]).toEqual(now);
      // factsTime differs by design: a run's own point before, the change that put those facts in force now.
      expect({ ...now, group: 'old', factsTime: null }).toEqual({ ...old, factsTime: null });
      const truth = Object.fromEntries(
        REPORT_FACTS.map((f) => [f, o.truth[f] === undefined ? null : ['cpus', 'memory_bytes'].includes(f) ? Number(o.truth[f]) : o.truth[f]]),
      );
      expect(now.facts).toEqual(truth);
    }
  });

  it('Grafana: the inventory and the "Facts changed" annotation answer the same on both', async () => {
    const inv = async (g: string) => (await rows(interpolate(inventory.toString(), RANGE, vars(g)))).map(({ time: _t, group: _g, ...r }) => r);
    expect(await inv('new')).toEqual(await inv('old'));
    expect((await inv('new'))[0]).toMatchObject({ kernel: '6.12.0', sysbench_version: '1.0.21' });
    const changed = async (g: string) => (await rows(interpolate(FACTS_CHANGED_QUERY, RANGE, vars(g)))).map((r) => [r.time, r.agent, r.changed_detail]);
    expect(await changed('new')).toEqual(await changed('old'));
    expect((await changed('new')).map(([, , d]) => d)).toEqual(['kernel: 6.1.0 → 6.12.0', 'sysbench_version: 1.0.20 → 1.0.21']);
  });

  it("the change detector's facts at each run, over any window, are the same on both (old data reads right)", async () => {
    for (const since of [0n, T0 + 30n * HOUR, T0 + 66n * HOUR, T0 + 200n * HOUR]) {
      const [old, now] = await Promise.all([factsWindow(db.store, 'old', 'vm1', since), factsWindow(db.store, 'new', 'vm1', since)]);
      for (const o of seq.old.filter((x) => x.runId && x.timeNs >= since)) {
        expect(factsAt(now, o.timeNs)).toEqual(factsAt(old, o.timeNs));
        expect(factsAt(now, o.timeNs)).toEqual(o.truth);
      }
    }
  });

  it('a long history: the detector reads the facts of its window only, and after a restart the recorder reads one point', async () => {
    // Three years of 6-hourly hellos and runs stored the old way (8 760 points), then a restarted
    // collector's recorder and detector.
    const now = BigInt(Date.now()) * 1_000_000n;
    const from = now - 3n * 365n * 24n * HOUR;
    const old = life('long', 'vm1', from, 3 * 365 * 4);
    await db.store.write(pointPerObservation(old).map(toStore));
    const reads = counting(db.store);
    const detector = createChangeDetector({ store: reads.store });
    await detector.analyse({ group: 'long', agent: 'vm1', test: 'cpu', profile: 'default' });
    // Its window is the last 400 days: the points in it, and the one in force when it opens.
    const since = now - 400n * 24n * HOUR;
    const inWindow = old.filter((o) => o.timeNs > since).length;
    expect(reads.rows()).toBeGreaterThan(0);
    expect(reads.rows()).toBeLessThanOrEqual(inWindow + 1);
    expect(reads.rows()).toBeLessThan(old.length / 2);
    // Stored the new way, the same window is a handful of rows.
    const changes = life('long_new', 'vm1', from, 3 * 365 * 4);
    await new FactsRecorder(db.store).record(changes);
    const fresh = counting(db.store);
    await createChangeDetector({ store: fresh.store }).analyse({
      group: 'long_new',
      agent: 'vm1',
      test: 'cpu',
      profile: 'default',
    });
    expect(fresh.rows()).toBe(1); // the facts in force when the window opens: nothing changed in it
    const rec = new FactsRecorder(reads.store);
    const before = reads.rows();
    await rec.record([{ tags: tags('long', 'vm1'), timeNs: now, facts: { hello: old[old.length - 2]!.truth } }]);
    expect(reads.rows() - before).toBe(1); // the agent's newest facts, once
    const stored = await rows(`SELECT * FROM "agent_info" WHERE "group" = 'long' ORDER BY time DESC LIMIT 1`);
    expect(storedFacts(stored[0]!)).toEqual(old[old.length - 1]!.truth); // unchanged facts: nothing new written
  });
});
