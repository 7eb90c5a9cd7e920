// InfluxDB SIGKILLed for 30 s in the middle of two streams, then restarted on the same port
// and data folder. Collector A stays up: it holds the acks, its agent keeps spooling, and it
// resumes when InfluxDB returns. Collector B is SIGKILLed during the outage: its agent still
// has every record that InfluxDB did not store, and replays them to B's successor.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { compareIds, lastJson, loadIds, sleep, startCollectorProc, startLoadAgent, stopProc, storedIds, type Proc } from '../support/procs.js';

const fx = influxdFixture('vo-rel-idown-');
const dir = fx.dir;
const procs = fx.procs;

type Stats = { produced: number; spooled: number; acked: number };
const stats = (p: Proc): Stats => lastJson(p, 'stats') as unknown as Stats;

describe('InfluxDB down for 30 s mid-stream', () => {
  it('holds acks, spools, and lands every record exactly once afterwards', async () => {
    const { url } = fx.influxd;
    const colA = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', url]);
    const colB = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', url]);
    procs.push(colA, colB);
    const COUNT = 2000; // 200 appends of 10, one every 100 ms: about 25 s, into the outage
    const common = { count: COUNT, batch: 10, everyMs: 100, backoffBaseMs: 100, statsEveryMs: 250 };
    const a = startLoadAgent({ ...common, collector: colA.address, spoolDir: join(dir, 'spool-a'), agentId: 'idown-a' });
    const b = startLoadAgent({ ...common, collector: colB.address, spoolDir: join(dir, 'spool-b'), agentId: 'idown-b' });
    procs.push(a, b);
    await a.waitFor(/"event":"connected"/);
    await b.waitFor(/"event":"connected"/);
    await sleep(2000);

    await fx.influxd.kill();
    const killedAt = Date.now();
    await sleep(3000); // writes in flight when InfluxDB died settle (they fail, no ack)
    const a1 = stats(a);
    const b1 = stats(b);
    await sleep(9000);
    // B's collector dies while InfluxDB is down: whatever it held unacknowledged is the agent's.
    const b2 = stats(b);
    colB.signal('SIGKILL');
    await colB.exited;
    await sleep(1000);
    const b3 = stats(b);
    await sleep(Math.max(0, 30_000 - (Date.now() - killedAt)));
    const a2 = stats(a);

    // Nothing was acknowledged while InfluxDB was down, and the spools grew with production.
    expect(a2.acked).toBe(a1.acked);
    expect(b2.acked).toBe(b1.acked);
    expect(b3.acked).toBe(b1.acked);
    expect(a2.spooled).toBe(a2.produced - a1.acked);
    expect(b3.spooled).toBe(b3.produced - b1.acked);
    expect(a2.spooled).toBeGreaterThan(a1.spooled);

    await fx.restart(); // same port and data
    const colB2 = await startCollectorProc(['--listen', `127.0.0.1:${colB.port}`, '--influx', url]);
    procs.push(colB2);
    const back = Date.now();
    await a.waitFor(/"event":"drained"/, 120_000);
    await b.waitFor(/"event":"drained"/, 120_000);
    const drainMs = Date.now() - back;
    for (const [agent, id, ackedDuringOutage] of [
      [a, 'idown-a', a2.acked - a1.acked],
      [b, 'idown-b', b3.acked - b1.acked],
    ] as const) {
      expect(lastJson(agent, 'drained')!.spooled).toBe(0);
      const want = loadIds(id, COUNT);
      const r = compareIds(want.results, await storedIds(url, 'sysbench', id));
      const s = compareIds(want.samples, await storedIds(url, 'sysbench_interval', id));
      expect(r).toEqual({ expected: 200, stored: 200, lost: 0, duplicated: 0, unexpected: 0 });
      expect(s).toEqual({ expected: 1800, stored: 1800, lost: 0, duplicated: 0, unexpected: 0 });
      const held = id === 'idown-a' ? a2.spooled : b3.spooled;
      recordFigures(`InfluxDB SIGKILLed 30 s mid-stream, ${id === 'idown-a' ? 'collector stays up' : 'collector also SIGKILLed during the outage'}`, {
        sent: COUNT,
        acknowledged: COUNT,
        stored: r.stored + s.stored,
        spooled: Number(lastJson(agent, 'drained')!.spooled),
        dropped: Number(lastJson(agent, 'drained')!.dropped),
        rejected: Number(lastJson(agent, 'drained')!.rejected),
        lost: r.lost + s.lost,
        duplicated: r.duplicated + s.duplicated,
        note: `acked during the outage: ${ackedDuringOutage}; spooled at its end: ${held}; both spools empty ${drainMs} ms after InfluxDB was back`,
      });
    }
    await stopProc(a);
    await stopProc(b);
    await stopProc(colA);
    await stopProc(colB2);
  }, 180_000);
});
