// The history check skips the lookup of points newer than anything stored in their series (issue
// 26) and keeps the append-only guarantee: a fake InfluxDB holding points by series and time
// answers the guard's statements (the newest point per series, and lookups by time range).
import { describe, expect, it } from 'vitest';
import { HistoryGuard, type Stamp } from './history.js';
import type { RawQuery } from './http.js';

/** What InfluxDB holds: series key → (ns → content hash). Counts statements by kind. */
function fakeInflux(stored: Record<string, Record<string, string>>) {
  const seen = { newest: 0, lookups: 0 };
  const query: RawQuery = async (q) => {
    const results = q.split('; ').map((statement) => {
      const agent = /"agent" = '([^']*)'/.exec(statement)![1]!;
      const newest = statement.includes('ORDER BY time DESC LIMIT 1');
      if (newest) seen.newest++;
      else seen.lookups++;
      const series = Object.entries(stored)
        .filter(([key]) => key.includes(`agent=${agent}`))
        .map(([key, points]) => {
          const [name, ...tags] = key.split(',');
          let times = Object.keys(points).map(BigInt);
          if (newest) times = times.sort((a, b) => (a > b ? -1 : 1)).slice(0, 1);
          else {
            const [, from, to] = /time >= (\d+) AND time <= (\d+)/.exec(statement)!;
            times = times.filter((t) => t >= BigInt(from!) && t <= BigInt(to!));
          }
          return {
            name: name!,
            tags: Object.fromEntries(tags.map((t) => t.split('='))),
            columns: ['time', 'content_hash'],
            values: times.map((t) => [String(t), points[String(t)]!]),
          };
        })
        .filter((s) => s.values.length > 0);
      return { series };
    });
    return { results };
  };
  return { query, seen, stored };
}

const stamp = (agent: string, ts: string, hash: string): Stamp => ({ measurement: 'sysbench', agent, key: `sysbench,agent=${agent}`, ts, hash });

describe('HistoryGuard: points newer than their series need no lookup', () => {
  it('after the first batch of an agent, its newer points are admitted without a lookup; older ones are looked up', async () => {
    const db = fakeInflux({ 'sysbench,agent=a1': { '100': 'H100', '200': 'H200' } });
    const guard = new HistoryGuard(db.query);
    // First batch: the newest is read first, and 300 is after it: no lookup (issue 26, N = 1 000).
    expect(await guard.check([stamp('a1', '300', 'H300')])).toEqual(['new']);
    expect(db.seen).toEqual({ newest: 1, lookups: 0 });
    // Newer than anything stored (200) or admitted (300): no statement at all.
    expect(await guard.check([stamp('a1', '400', 'H400'), stamp('a1', '500', 'H500')])).toEqual(['new', 'new']);
    expect(db.seen).toEqual({ newest: 1, lookups: 0 });
    expect(guard.newerThanStored).toBe(3);
    // A replay of older records: looked up, and the append-only rule holds.
    expect(await guard.check([stamp('a1', '100', 'H100'), stamp('a1', '200', 'other'), stamp('a1', '150', 'H150')])).toEqual(['same', 'conflict', 'new']);
    expect(db.seen.lookups).toBe(1);
  });

  it("an agent's first batch: what is not after its newest stored point is looked up, so a rewrite in it is refused", async () => {
    const db = fakeInflux({ 'sysbench,agent=a3': { '100': 'H100', '200': 'H200' } });
    const guard = new HistoryGuard(db.query);
    expect(await guard.check([stamp('a3', '200', 'other'), stamp('a3', '100', 'H100'), stamp('a3', '300', 'H300')])).toEqual(['conflict', 'same', 'new']);
    expect(db.seen).toEqual({ newest: 1, lookups: 1 });
    expect(guard.newerThanStored).toBe(1);
  });

  it("the agent's next hello reads its series again: a point another collector stored meanwhile is still refused", async () => {
    const db = fakeInflux({ 'sysbench,agent=a2': { '100': 'H100' } });
    const guard = new HistoryGuard(db.query);
    expect(await guard.check([stamp('a2', '200', 'H200')])).toEqual(['new']);
    guard.stored([stamp('a2', '200', 'H200')]);
    // The agent moved to another collector, which stored 300; then it came back here.
    db.stored['sysbench,agent=a2']!['300'] = 'H300';
    guard.agentConnected('a2');
    expect(await guard.check([stamp('a2', '300', 'different')])).toEqual(['conflict']);
    expect(db.seen.newest).toBe(2);
    // Without the hello the newest would still be 200, and 300 would have been written over.
  });

  it('an agent seen once and gone is forgotten when the bound is reached', async () => {
    const db = fakeInflux({});
    const guard = new HistoryGuard(db.query, 50_000, undefined, 2);
    for (const a of ['x', 'y', 'z']) await guard.check([stamp(a, '1', 'h')]);
    // x was forgotten: its next point is looked up again (and its newest read again).
    const before = { ...db.seen };
    await guard.check([stamp('x', '2', 'h2')]);
    expect(db.seen.newest).toBe(before.newest + 1);
  });

  // Issue 26: a guest that reported once and left must not keep its series keys here for good.
  it("an agent not heard from for the forget time is forgotten, an active one is not; the forgotten one's next batch reads its newest again and a rewrite is refused", async () => {
    let t = 0;
    const DAY = 86_400_000;
    const db = fakeInflux({ 'sysbench,agent=gone': { '100': 'H100' }, 'sysbench,agent=active': {} });
    const guard = new HistoryGuard(db.query, 0, undefined, 20_000, { afterMs: DAY, now: () => t });
    await guard.check([stamp('gone', '200', 'H200'), stamp('active', '200', 'A200')]);
    guard.stored([stamp('gone', '200', 'H200'), stamp('active', '200', 'A200')]);
    db.stored['sysbench,agent=gone']!['200'] = 'H200';
    db.stored['sysbench,agent=active']!['200'] = 'A200';
    expect([guard.agentsKnown, guard.seriesKnown]).toEqual([2, 2]);
    t = DAY - 1;
    expect(await guard.check([stamp('active', '300', 'A300')])).toEqual(['new']); // no statement: newer than its newest
    expect(db.seen).toEqual({ newest: 2, lookups: 0 });
    expect(guard.agentsKnown).toBe(2);
    t = DAY;
    expect(await guard.check([stamp('active', '400', 'A400')])).toEqual(['new']);
    expect([guard.agentsKnown, guard.seriesKnown]).toEqual([1, 1]); // 'gone' idle a day: forgotten with its series; 'active' still known
    expect(db.seen).toEqual({ newest: 2, lookups: 0 });
    // 'gone' comes back without a hello here (maxKnown 0: nothing remembered by point): a rewrite of
    // its stored 200 is looked up and refused, the same content acked, a new point admitted.
    expect(await guard.check([stamp('gone', '200', 'forged'), stamp('gone', '100', 'H100'), stamp('gone', '250', 'H250')])).toEqual([
      'conflict',
      'same',
      'new',
    ]);
    expect(db.seen).toEqual({ newest: 3, lookups: 1 });
    // Its newest was read again: a point after it needs no statement.
    expect(await guard.check([stamp('gone', '500', 'H500')])).toEqual(['new']);
    expect(db.seen).toEqual({ newest: 3, lookups: 1 });
  });
});
