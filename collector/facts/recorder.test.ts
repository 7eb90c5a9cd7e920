// Facts stored when they change (issue 23 item 2), against the in-memory store
// (test/support/memory-store.ts, held to a real influxd by collector/store/store.influx.test.ts):
// one point per change, not per hello or run; the newest facts kept per agent within a byte
// bound, read once after a restart; a replayed older run compared with the facts in force at
// its own time.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { IdentityTags } from '../../schema/influx.js';
import type { Store } from '../store/store.js';
import { factsAt, factsWindow } from './index.js';
import { FactsRecorder, type Observation } from './recorder.js';
import pino from 'pino';
import { hello as helloMessage } from '../../test/support/messages.js';
import { identityTags } from '../influx/points.js';
import type { SeenHello, WrittenResult } from '../listener.js';
import { createFactsRecorder } from './listener.js';

const HOUR = 3_600_000_000_000n;
const T0 = 1_767_225_600_000_000_000n;
const tags = (agent: string, variant = 'default'): IdentityTags => ({
  agent,
  host: agent,
  group: 'g',
  role: 'guest',
  virt: 'kvm',
  container: 'none',
  kvm: 'usable',
  variant,
});
const FACTS = { os: 'Debian 12', kernel: '6.1.0', cpus: '4', memory_bytes: '8589934592', sysbench_version: '1.0.20' };
const hello = (agent: string, at: bigint, facts: Record<string, string> = FACTS, variant?: string): Observation => ({
  tags: tags(agent, variant),
  timeNs: at,
  facts: { hello: facts },
});
const run = (agent: string, at: bigint, runId: string, version = '1.0.20'): Observation => ({
  tags: tags(agent),
  timeNs: at,
  facts: { sysbenchVersion: version },
  runId,
});

/** A day of an agent in timer mode: a hello then a run, every 6 hours. */
function day(agent: string, from: bigint, n: number, facts: Record<string, string> = FACTS, version = '1.0.20'): Observation[] {
  return Array.from({ length: n }, (_, i) => [
    hello(agent, from + BigInt(i) * 6n * HOUR, { ...facts, sysbench_version: version }),
    run(agent, from + BigInt(i) * 6n * HOUR + 60_000_000_000n, `${agent}-${from}-${i}`, version),
  ]).flat();
}

describe('facts stored when they change', () => {
  it('40 hellos and runs with the facts changing twice: three points, the changes named on them', async () => {
    const store = new MemoryStore();
    const rec = new FactsRecorder(store);
    const obs = [
      ...day('vm1', T0, 10),
      ...day('vm1', T0 + 60n * HOUR, 5, { ...FACTS, kernel: '6.12.0' }),
      ...day('vm1', T0 + 90n * HOUR, 5, { ...FACTS, kernel: '6.12.0' }, '1.0.21'),
    ];
    for (const o of obs) await rec.record([o]);
    const stored = store.all('agent_info');
    expect(stored.map((p) => [p.timeNs - T0, p.fields.kernel, p.fields.sysbench_version, p.fields.changed ?? null, p.fields.run_id ?? null])).toEqual([
      [0n, '6.1.0', '1.0.20', null, null],
      [60n * HOUR, '6.12.0', '1.0.20', 'kernel', null],
      [90n * HOUR, '6.12.0', '1.0.21', 'sysbench_version', null],
    ]);
    // The facts in force at every observation are what it reported (what a point per run said).
    const history = await factsWindow(store, 'g', 'vm1', 0n);
    for (const o of obs) {
      const got = factsAt(history, o.timeNs);
      if ('hello' in o.facts) expect(got).toEqual(o.facts.hello);
      else expect(got.sysbench_version).toBe(o.facts.sysbenchVersion);
    }
  });

  it('a daemon run with a new sysbench is a point of its own, carrying its run id', async () => {
    const store = new MemoryStore();
    const rec = new FactsRecorder(store);
    await rec.record([hello('d', T0), run('d', T0 + HOUR, 'r1'), run('d', T0 + 2n * HOUR, 'r2', '1.1.0'), run('d', T0 + 3n * HOUR, 'r3', '1.1.0')]);
    expect(store.all('agent_info').map((p) => [p.fields.run_id ?? null, p.fields.sysbench_version, p.fields.changed_detail ?? null])).toEqual([
      [null, '1.0.20', null],
      ['r2', '1.1.0', 'sysbench_version: 1.0.20 → 1.1.0'],
    ]);
  });

  it('one batch of many observations stores what recording them one at a time stores', async () => {
    const obs = [...day('a', T0, 6), ...day('b', T0, 3), ...day('b', T0 + 18n * HOUR, 3, FACTS, '1.0.21'), ...day('c', T0, 2, { ...FACTS, kernel: 'x' })];
    const one = new MemoryStore();
    await new FactsRecorder(one).record([...obs].reverse());
    const single = new MemoryStore();
    const rec = new FactsRecorder(single);
    for (const o of obs) await rec.record([o]);
    const sorted = (m: MemoryStore) =>
      m.all('agent_info').sort((x, y) => (x.timeNs - y.timeNs === 0n ? x.tags.agent!.localeCompare(y.tags.agent!) : x.timeNs < y.timeNs ? -1 : 1));
    expect(sorted(one)).toEqual(sorted(single));
    expect(one.all('agent_info')).toHaveLength(4);
  });

  it('a new variant (an identity tag) is a point although no fact changed', async () => {
    const store = new MemoryStore();
    const rec = new FactsRecorder(store);
    await rec.record([hello('v', T0), hello('v', T0 + HOUR), hello('v', T0 + 2n * HOUR, FACTS, 'patched'), hello('v', T0 + 3n * HOUR, FACTS, 'patched')]);
    expect(store.all('agent_info').map((p) => [p.tags.variant, p.fields.changed ?? null])).toEqual([
      ['default', null],
      ['patched', null],
    ]);
  });

  it('after a restart, the newest facts are read once for the whole group, then kept', async () => {
    const store = new MemoryStore();
    const first = new FactsRecorder(store);
    for (const a of ['a', 'b', 'c']) await first.record(day(a, T0, 4));
    const reads = countingSelects(store);
    const rec = new FactsRecorder(reads.store);
    await rec.record([hello('a', T0 + 100n * HOUR)]);
    expect(reads.count()).toBe(1);
    expect(rec.rowsRead).toBe(3); // the newest point of each of the group's three agents
    await rec.record([hello('b', T0 + 101n * HOUR), run('c', T0 + 102n * HOUR, 'c-new'), hello('new', T0 + 103n * HOUR)]);
    expect(reads.count()).toBe(1); // b and c were kept; 'new' is known to have none (its group was read whole)
    expect(store.all('agent_info')).toHaveLength(4); // the three agents' first points, and the new agent's
  });

  it('a replayed run older than the newest facts is compared with the facts in force at its time', async () => {
    const store = new MemoryStore();
    const rec = new FactsRecorder(store);
    await rec.record([hello('r', T0), hello('r', T0 + 10n * HOUR, { ...FACTS, sysbench_version: '1.1.0' })]);
    // Replayed from the spool: a run of before the upgrade (same facts: nothing), one with another version.
    await rec.record([run('r', T0 + HOUR, 'old-1'), run('r', T0 + 2n * HOUR, 'old-2', '1.0.19')]);
    await rec.record([run('r', T0 + 11n * HOUR, 'new', '1.1.0')]); // the newest is still the upgrade: nothing
    expect(store.all('agent_info').map((p) => [p.timeNs - T0, p.fields.sysbench_version, p.fields.changed ?? null])).toEqual([
      [0n, '1.0.20', null],
      [2n * HOUR, '1.0.19', 'sysbench_version'],
      [10n * HOUR, '1.1.0', 'sysbench_version'],
    ]);
  });

  // Issue 26: a replayed spool's runs are all older than the agent's hello; a read per run was as
  // many queries as the collector's writes in the ingest bench.
  it("replayed runs read their agent's facts once and store what a read per run stored; its hello reads them again", async () => {
    const store = new MemoryStore();
    let requests = 0;
    const counted: Store = { ...bind(store), select: (s) => (requests++, store.select(s)), selectMany: (s) => (requests++, store.selectMany(s)) };
    const rec = new FactsRecorder(counted);
    await rec.record([hello('p', T0), hello('p', T0 + 10n * HOUR, { ...FACTS, sysbench_version: '1.1.0' })]);
    requests = 0;
    // One run an hour, each in its own batch; the one at 4 h ran another sysbench.
    for (let h = 1n; h <= 9n; h++) await rec.record([run('p', T0 + h * HOUR, `r${h}`, h === 4n ? '1.0.19' : '1.0.20')]);
    expect(requests).toBe(1);
    const stored = () => store.all('agent_info').map((p) => [Number((p.timeNs - T0) / (HOUR / 2n)) / 2, p.fields.sysbench_version]);
    // By hand: 4 h differs from the 1.0.20 in force since 0 h; 5 h differs from the 4 h just written.
    expect(stored()).toEqual([
      [0, '1.0.20'],
      [4, '1.0.19'],
      [5, '1.0.20'],
      [10, '1.1.0'],
    ]);
    // Another collector stores a change at 7.5 h; the agent's next hello here drops what was read.
    await new FactsRecorder(bind(store)).record([run('p', T0 + 15n * (HOUR / 2n), 'elsewhere', '1.0.18')]);
    await rec.record([hello('p', T0 + 11n * HOUR, { ...FACTS, sysbench_version: '1.1.0' })]);
    await rec.record([run('p', T0 + 8n * HOUR, 'r8b', '1.0.20')]);
    expect(stored()).toEqual([
      [0, '1.0.20'],
      [4, '1.0.19'],
      [5, '1.0.20'],
      [7.5, '1.0.18'],
      [8, '1.0.20'],
      [10, '1.1.0'],
    ]);
  });

  // Issue 26: a tick of a fleet in timer mode: each agent says hello, then sends the run it made
  // before (older than the hello). At N = 1 000 agents each hello was a write of its own and each
  // agent's run a read of its own; now the hellos that come together are one write, and the runs
  // of one batch one read.
  it('hellos of many agents at once are one read and one write; their older runs in one batch one read; what one at a time stores', async () => {
    const agents = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    const kernel = (a: string) => (a === 'n2' || a === 'n4' ? { ...FACTS, kernel: '6.12.0' } : FACTS);
    const before = (store: MemoryStore) =>
      new FactsRecorder(bind(store)).record([
        hello('n2', T0 - 5n * HOUR, { ...FACTS, sysbench_version: '1.0.18' }),
        ...agents.slice(0, 3).map((a) => hello(a, T0)),
      ]);
    const hellos = agents.map((a, i) => hello(a, T0 + 10n * HOUR + BigInt(i), kernel(a)));
    // n1: two runs before its stored facts (T0) and one after; n2 (a new kernel at its hello): one before T0 and
    // one after it with another sysbench;
    // n4, n5: new agents' runs before their hellos; n6 sends none; a run of n3 exactly at its hello.
    const runs = [
      run('n1', T0 - 2n * HOUR, 'n1-c'),
      run('n1', T0 - HOUR, 'n1-a'),
      run('n1', T0 + 2n * HOUR, 'n1-b', '1.0.19'),
      run('n2', T0 - HOUR, 'n2-b'),
      run('n2', T0 + 3n * HOUR, 'n2-a', '1.0.21'),
      run('n3', T0 + 10n * HOUR + 2n, 'n3-a', '1.0.22'),
      run('n4', T0 + 9n * HOUR, 'n4-a'),
      run('n5', T0 + 9n * HOUR, 'n5-a', '1.0.19'),
    ];

    const together = new MemoryStore();
    await before(together);
    const { store: counted, requests: counts } = countingRequests(together);
    const rec = new FactsRecorder(counted);
    await rec.record(hellos);
    expect(counts).toEqual({ selects: 1, writes: 1 }); // the group's newest facts; every hello's point
    await rec.record([...runs].reverse());
    expect(counts).toEqual({ selects: 2, writes: 2 }); // every agent's timeline in one request

    const single = new MemoryStore();
    await before(single);
    const one = new FactsRecorder(bind(single));
    for (const o of [...hellos, ...runs]) await one.record([o]); // each agent's in time order, as the recorder sorts them
    const sorted = (m: MemoryStore) =>
      m.all('agent_info').sort((x, y) => (x.timeNs - y.timeNs === 0n ? x.tags.agent!.localeCompare(y.tags.agent!) : x.timeNs < y.timeNs ? -1 : 1));
    expect(sorted(together)).toEqual(sorted(single));
    // By hand: n2's at -5 h (1.0.18); T0's three; n1 at -2 h (nothing in force: a point; -1 h then the same) and 2 h
    // (1.0.19); n2 at -1 h (1.0.18 in force) and 3 h (1.0.21); the six hellos (n1, n3 the same facts: none; n2's kernel; n4-n6 new); n3
    // after its hello (1.0.22); n4, n5 before theirs.
    expect(sorted(together).map((p) => [p.tags.agent, Number((p.timeNs - T0) / HOUR), p.fields.sysbench_version])).toEqual([
      ['n2', -5, '1.0.18'],
      ['n1', -2, '1.0.20'],
      ['n2', -1, '1.0.20'],
      ['n1', 0, '1.0.20'],
      ['n2', 0, '1.0.20'],
      ['n3', 0, '1.0.20'],
      ['n1', 2, '1.0.19'],
      ['n2', 3, '1.0.21'],
      ['n4', 9, '1.0.20'],
      ['n5', 9, '1.0.19'],
      ['n2', 10, '1.0.20'],
      ['n3', 10, '1.0.22'], // 10 h + 2 ns: before n4's hello at + 3 ns
      ['n4', 10, '1.0.20'],
      ['n5', 10, '1.0.20'],
      ['n6', 10, '1.0.20'],
    ]);
  });

  // Issue 26: the pipeline hands a tick's hellos, and the batches queued behind a running task,
  // over together (pipeline.ts): the listener records them in one read and one write each.
  it('the listener given a tick together stores what it stores given each hello and batch alone', async () => {
    const NOW = T0 + 10n * HOUR;
    const hellos: SeenHello[] = ['t1', 't2', 't3', 't4'].map((a, i) => {
      const h = helloMessage({ agent_id: a, hostname: a, sysbench_version: a === 't3' ? '1.0.21' : '1.0.20' });
      return { hello: h, tags: identityTags(h), nowNs: NOW + BigInt(i) };
    });
    const result = (agent: string, runId: string, at: bigint, version = '1.0.20'): WrittenResult => ({
      tags: { ...hellos.find((h) => h.hello.agent_id === agent)!.tags, sysbench_version: version },
      fields: { run_id: runId, ok: true, trial: 1 },
      timestamp_ns: String(at),
    });
    // Each agent's run before its hello (timer mode); t2's spans two batches; t4 ran another sysbench; t1 a second run.
    const batches = [
      [result('t1', 'a', T0 + HOUR), result('t2', 'b', T0 + HOUR)],
      [result('t2', 'b', T0 + HOUR + 1n), result('t3', 'c', T0 + 2n * HOUR, '1.0.21')],
      [result('t4', 'd', T0 + 3n * HOUR, '1.0.19'), result('t1', 'e', T0 + 4n * HOUR)],
    ];
    const log = pino({ level: 'silent' });

    const alone = new MemoryStore();
    const one = createFactsRecorder(bind(alone), log);
    for (const h of hellos) await one.onHellos!([h]);
    for (const b of batches) await one.onResultsWritten!(b);

    const together = new MemoryStore();
    const { store: counted, requests } = countingRequests(together);
    const all = createFactsRecorder(counted, log);
    await all.onHellos!(hellos);
    await all.onResultsWritten!(batches.flat());
    // The group's newest facts, then every agent's timeline; the hellos' points, then the runs'.
    expect(requests).toEqual({ selects: 2, writes: 2 });
    const rows = (m: MemoryStore) => m.all('agent_info').map((p) => [p.tags.agent, p.timeNs - T0, p.fields.sysbench_version, p.fields.run_id ?? null]);
    expect(rows(together)).toEqual(rows(alone));
    // By hand: each run before its agent's hello has no facts in force: a point each (t1's second run the same: none).
    expect(rows(together)).toEqual([
      ['t1', HOUR, '1.0.20', 'a'],
      ['t2', HOUR, '1.0.20', 'b'],
      ['t3', 2n * HOUR, '1.0.21', 'c'],
      ['t4', 3n * HOUR, '1.0.19', 'd'],
      ['t1', 10n * HOUR, '1.0.20', null],
      ['t2', 10n * HOUR + 1n, '1.0.20', null],
      ['t3', 10n * HOUR + 2n, '1.0.21', null],
      ['t4', 10n * HOUR + 3n, '1.0.20', null],
    ]);
  });

  // Issue 26: the timeline of an agent that replayed its spool and went away leaves memory.
  it("an agent's timeline unused for the forget time is forgotten, an agent still replaying keeps its own; the forgotten one is read again when it replays", async () => {
    const store = new MemoryStore();
    let requests = 0;
    const counted: Store = { ...bind(store), select: (s) => (requests++, store.select(s)), selectMany: (s) => (requests++, store.selectMany(s)) };
    let t = 0;
    const DAY = 86_400_000;
    const rec = new FactsRecorder(counted, undefined, { afterMs: DAY, now: () => t });
    await rec.record([hello('gone', T0 + 10n * HOUR), hello('live', T0 + 10n * HOUR)]);
    await rec.record([run('gone', T0 + HOUR, 'g1'), run('live', T0 + HOUR, 'l1')]);
    expect(rec.timelinesKept).toBe(2);
    t = DAY - 1;
    await rec.record([run('live', T0 + 2n * HOUR, 'l2')]);
    requests = 0;
    t = DAY;
    await rec.record([run('live', T0 + 3n * HOUR, 'l3')]);
    expect(requests).toBe(0); // its timeline kept
    expect(rec.timelinesKept).toBe(1); // 'gone' unused a day: forgotten
    await rec.record([run('gone', T0 + 2n * HOUR, 'g2', '1.0.19')]);
    expect(requests).toBe(2); // read again: its newest facts (forgotten too: its group's read) and its timeline
    expect(
      store
        .all('agent_info')
        .filter((p) => p.tags.agent === 'gone')
        .map((p) => [(p.timeNs - T0) / HOUR, p.fields.sysbench_version]),
    ).toEqual([
      [1n, '1.0.20'], // g1: no facts in force before the hello at 10 h
      [2n, '1.0.19'], // g2 differs from what g1 stored: the timeline read again knows it
      [10n, '1.0.20'],
    ]);
  });

  // Issue 26: the newest facts of a guest that reported once and went away leave memory too.
  it("an agent's kept facts unused for the forget time are forgotten, bytes and all; when it comes back its group is read again and nothing is stored twice", async () => {
    const store = new MemoryStore();
    const reads = countingSelects(store);
    let t = 0;
    const DAY = 86_400_000;
    const rec = new FactsRecorder(reads.store, undefined, { afterMs: DAY, now: () => t });
    await rec.record([hello('gone', T0), hello('live', T0)]);
    const one = rec.size.bytes / 2;
    expect(rec.size.agents).toBe(2);
    t = DAY - 1;
    await rec.record([hello('live', T0 + HOUR)]);
    t = DAY;
    await rec.record([hello('live', T0 + 2n * HOUR)]);
    expect(rec.size).toEqual({ agents: 1, bytes: one }); // 'gone' unheard a day: forgotten
    const before = reads.count();
    await rec.record([hello('gone', T0 + 3n * HOUR)]);
    expect(reads.count()).toBe(before + 1); // not taken as "none stored": its group read again
    expect(store.all('agent_info').map((p) => p.tags.agent)).toEqual(['gone', 'live']); // the same facts: no second point
    expect(rec.size.agents).toBe(2);
  });

  it('kept facts stay within the byte bound; an agent pushed out is read again, never stored twice', async () => {
    const store = new MemoryStore();
    const big = { ...FACTS, cpu_model: 'x'.repeat(256), kernel: 'k'.repeat(256), os: 'o'.repeat(256) };
    const rec = new FactsRecorder(store, 8 * 1024);
    const agents = Array.from({ length: 40 }, (_, i) => `vm${i}`);
    for (let round = 0; round < 3; round++)
      for (const a of agents) {
        await rec.record([hello(a, T0 + BigInt(round) * HOUR, big)]);
        expect(rec.size.bytes).toBeLessThanOrEqual(8 * 1024);
      }
    expect(rec.size.agents).toBeLessThan(40);
    expect(store.all('agent_info')).toHaveLength(40);
  });

  it('a write that fails is not taken as stored: the next observation writes the facts', async () => {
    const store = new MemoryStore();
    let fail = true;
    const flaky: Store = { ...bind(store), write: async (p) => (fail ? Promise.reject(new Error('influxd down')) : store.write(p)) };
    const rec = new FactsRecorder(flaky);
    await expect(rec.record([hello('f', T0)])).rejects.toThrow('influxd down');
    fail = false;
    await rec.record([hello('f', T0 + HOUR)]);
    expect(store.all('agent_info').map((p) => p.timeNs - T0)).toEqual([HOUR]);
  });
});

function bind(store: MemoryStore): Store {
  return {
    write: (p) => store.write(p),
    select: (s) => store.select(s),
    selectMany: (s) => store.selectMany(s),
    tagValues: (m, k, w) => store.tagValues(m, k, w),
    delete: (m, w) => store.delete(m, w),
  };
}

/** The store's select requests (select or selectMany, one request each) and writes, counted. */
function countingRequests(store: MemoryStore): { store: Store; requests: { selects: number; writes: number } } {
  const requests = { selects: 0, writes: 0 };
  return {
    requests,
    store: {
      ...bind(store),
      select: (q) => (requests.selects++, store.select(q)),
      selectMany: (q) => (requests.selects++, store.selectMany(q)),
      write: (p) => (requests.writes++, store.write(p)),
    },
  };
}

function countingSelects(store: MemoryStore): { store: Store; count(): number } {
  let n = 0;
  return {
    store: { ...bind(store), select: (s) => (n++, store.select(s)) },
    count: () => n,
  };
}
