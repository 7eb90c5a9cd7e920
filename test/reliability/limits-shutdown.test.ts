// Limits and shutdown: a spool filled past its cap reports the exact drop count in
// agent_status; a message over 1 MiB is refused by the collector and dropped by the agent
// without blocking the rest; a rate-limited agent is slowed, not cut off; SIGTERM stops the
// collector and the agent cleanly (exit 0) with nothing lost.
import * as grpc from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord, type SpoolRecord } from '../../agent/spool/record.js';
import { Spool } from '../../agent/spool/spool.js';
import { influxdFixture } from '../support/fixture.js';
import { MAIN, onceAgentArgs } from '../support/cli.js';
import { recordFigures } from '../support/figures.js';
import {
  compareIds,
  lastJson,
  loadIds,
  query,
  sleep,
  spawnProc,
  startCollectorProc,
  startLoadAgent,
  stopProc,
  storedIds,
  type CollectorProc,
} from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

const fx = influxdFixture('vo-rel-limits-');
let collector: CollectorProc;
const procs = fx.procs;
const p = fx.p;

beforeAll(async () => {
  collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
  procs.push(collector);
});

const BASE_NS = BigInt(Date.now()) * 1_000_000n;
/** Valid samples of identical encoded size (fixed-width id and timestamp). */
function capRecord(n: number): SpoolRecord {
  const id = `cap-${String(n).padStart(6, '0')}`;
  return {
    id,
    kind: 'sample',
    body: {
      id,
      timestamp_ns: String(BASE_NS + BigInt(n)),
      run_id: 'cap',
      test: 'cpu',
      profile: 'cap',
      trial: 1,
      fields: { elapsed_s: 1 },
      sysbench_version: '1.0.20',
    },
  };
}

describe('limits', () => {
  it('spool filled past its cap: the exact drop count reaches agent_status, the survivors reach InfluxDB once', async () => {
    const L = encodeRecord(capRecord(1)).length;
    const spoolMax = 35 * L;
    // While the collector is unreachable the agent spools 100 records into a cap of 3.5
    // segments of 10: segments drop at appends 36, 46, ..., 96 → 70 dropped, 71..100 kept.
    const spool = Spool.open(p('spool-cap'), { maxBytes: spoolMax, segmentBytes: 10 * L });
    for (let i = 1; i <= 100; i++) spool.append([capRecord(i)]);
    spool.close();
    const agent = startLoadAgent({ collector: collector.address, spoolDir: p('spool-cap'), agentId: 'cap', count: 0, spoolMax, exitWhenDrained: true });
    procs.push(agent);
    await agent.waitFor(/"event":"drained"/);
    expect(lastJson(agent, 'drained')).toMatchObject({ dropped: 70, spooled: 0, statusAcked: true });
    const status = await query(fx.influxd.url, `SELECT last(dropped) AS dropped FROM agent_status WHERE agent = 'cap'`);
    expect(status[0]!.dropped).toBe(70);
    const survivors = Array.from({ length: 30 }, (_, k) => capRecord(71 + k).id);
    const cmp = compareIds(survivors, await storedIds(fx.influxd.url, 'sysbench_interval', 'cap'));
    expect(cmp).toEqual({ expected: 30, stored: 30, lost: 0, duplicated: 0, unexpected: 0 });
    recordFigures('spool filled past its cap (100 records into 35 records of space, collector away)', {
      sent: 100,
      acknowledged: 30,
      stored: 30,
      spooled: Number(lastJson(agent, 'drained')!.spooled),
      dropped: Number(lastJson(agent, 'drained')!.dropped),
      rejected: Number(lastJson(agent, 'drained')!.rejected),
      lost: 70,
      duplicated: 0,
      note: 'lost = dropped by the cap, exactly as computed (70) and reported in agent_status.dropped = 70',
    });
  });

  it('a message over 1 MiB: the collector refuses it and stays up; a spooled oversize record is dropped without blocking the rest', async () => {
    const client = rawClient(collector.address);
    const s = openStream(client);
    s.call.write({ hello: hello({ agent_id: 'big' }) });
    await s.waitFor((m) => Boolean(m.welcome));
    s.call.write(validResult('big-1', { errors: Array.from({ length: 20 }, () => 'e'.repeat(60_000)) }));
    const st = await s.closed;
    expect(st.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const s2 = openStream(client);
    s2.call.write({ hello: hello({ agent_id: 'big' }) });
    await s2.waitFor((m) => Boolean(m.welcome));
    s2.call.write(validResult('big-2'));
    await s2.waitFor((m) => Boolean(m.ack?.ids.includes('big-2')));
    s2.close();
    client.close();
    expect(await storedIds(fx.influxd.url, 'sysbench', 'big')).toEqual(['big-2']);

    // The agent side: an oversize record first in the spool, 200 normal ones behind it.
    const spool = Spool.open(p('spool-big'));
    const huge = { id: 'huge-0', kind: 'result' as const, body: { ...validResult('huge-0').result!, errors: ['x'.repeat(1_200_000)] } };
    spool.append([huge]);
    spool.close();
    const agent = startLoadAgent({
      collector: collector.address,
      spoolDir: p('spool-big'),
      agentId: 'big-agent',
      count: 200,
      batch: 50,
      exitWhenDrained: true,
    });
    procs.push(agent);
    await agent.waitFor(/"event":"drained"/);
    expect(lastJson(agent, 'drained')).toMatchObject({ spooled: 0, rejected: 1 });
    const want = loadIds('big-agent', 200);
    const cmp = compareIds(
      [...want.results, ...want.samples],
      [...(await storedIds(fx.influxd.url, 'sysbench', 'big-agent')), ...(await storedIds(fx.influxd.url, 'sysbench_interval', 'big-agent'))],
    );
    expect(cmp).toEqual({ expected: 200, stored: 200, lost: 0, duplicated: 0, unexpected: 0 });
    recordFigures('1.2 MB record in the spool ahead of 200 normal ones; a 1.2 MB message from a raw client', {
      sent: 201,
      acknowledged: 200,
      stored: 200,
      spooled: Number(lastJson(agent, 'drained')!.spooled),
      dropped: Number(lastJson(agent, 'drained')!.dropped),
      rejected: Number(lastJson(agent, 'drained')!.rejected),
      lost: 1,
      duplicated: 0,
      note: 'the oversize record is refused (RESOURCE_EXHAUSTED on the wire; set aside in the spool quarantine.jsonl and counted as rejected by the agent); nothing behind it blocked',
    });
  });

  it('a rate-limited agent is slowed, not cut off: one connection, everything delivered', async () => {
    const slow = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--rate-limit', '100']);
    procs.push(slow);
    const t0 = Date.now();
    const agent = startLoadAgent({ collector: slow.address, spoolDir: p('spool-rate'), agentId: 'rate', count: 800, batch: 100, exitWhenDrained: true });
    procs.push(agent);
    await agent.waitFor(/"event":"drained"/);
    const seconds = (Date.now() - t0) / 1000;
    expect(lastJson(agent, 'drained')).toMatchObject({ spooled: 0, connections: 1 });
    const want = loadIds('rate', 800);
    const cmp = compareIds(
      [...want.results, ...want.samples],
      [...(await storedIds(fx.influxd.url, 'sysbench', 'rate')), ...(await storedIds(fx.influxd.url, 'sysbench_interval', 'rate'))],
    );
    expect(cmp).toEqual({ expected: 800, stored: 800, lost: 0, duplicated: 0, unexpected: 0 });
    recordFigures('rate limit 100 msg/s (burst 400), 800 records + heartbeat', {
      sent: 800,
      acknowledged: 800,
      stored: 800,
      spooled: Number(lastJson(agent, 'drained')!.spooled),
      dropped: Number(lastJson(agent, 'drained')!.dropped),
      rejected: Number(lastJson(agent, 'drained')!.rejected),
      lost: 0,
      duplicated: 0,
      note: `one connection throughout; took ${seconds.toFixed(1)} s (the limit alone predicts about (801 - 400) / 100 = 4 s)`,
    });
    await stopProc(slow);
  });
});

describe('signals', () => {
  it('SIGHUP without --tokens does not stop the collector', async () => {
    collector.signal('SIGHUP');
    await collector.waitForErr(/nothing to reload/); // until it says so (or exits): 5 s of polling is a speed limit
    expect(collector.stderr()).toContain('nothing to reload');
    const client = rawClient(collector.address);
    const s = openStream(client);
    s.call.write({ hello: hello({ agent_id: 'hup' }) });
    await s.waitFor((m) => Boolean(m.welcome));
    s.close();
    client.close();
    expect(collector.child.exitCode).toBeNull();
  });
});

describe('SIGTERM', () => {
  it('collector: SIGTERM mid-stream exits 0 after writing what it read; the agent replays the rest to its successor', async () => {
    let c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--result-rate', '1000000']);
    procs.push(c);
    const agent = startLoadAgent({ collector: c.address, spoolDir: p('spool-term'), agentId: 'term', count: 3000, batch: 10, everyMs: 5, backoffBaseMs: 100 });
    procs.push(agent);
    await agent.waitFor(/"event":"connected","n":1/);
    await sleep(1500);
    c.signal('SIGTERM');
    const exit = await c.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(c.stderr()).toContain('collector stopped');
    c = await startCollectorProc(['--listen', `127.0.0.1:${c.port}`, '--influx', fx.influxd.url, '--result-rate', '1000000']);
    procs.push(c);
    await agent.waitFor(/"event":"drained"/, 120_000);
    const want = loadIds('term', 3000);
    const cmp = compareIds(
      [...want.results, ...want.samples],
      [...(await storedIds(fx.influxd.url, 'sysbench', 'term')), ...(await storedIds(fx.influxd.url, 'sysbench_interval', 'term'))],
    );
    expect(cmp).toEqual({ expected: 3000, stored: 3000, lost: 0, duplicated: 0, unexpected: 0 });
    recordFigures('collector SIGTERM mid-stream, restarted', {
      sent: 3000,
      acknowledged: 3000,
      stored: 3000,
      spooled: Number(lastJson(agent, 'drained')!.spooled),
      dropped: Number(lastJson(agent, 'drained')!.dropped),
      rejected: Number(lastJson(agent, 'drained')!.rejected),
      lost: 0,
      duplicated: 0,
      note: 'collector exit 0',
    });
    await stopProc(agent);
    await stopProc(c);
  });

  it('agent: SIGTERM during a run stops sysbench, flushes, exits 0 with an empty spool and every result stored once', async () => {
    const agent = spawnProc([
      MAIN,
      ...onceAgentArgs({
        collector: collector.address,
        profile: 'quick',
        tests: 'cpu,mutex',
        trials: 3,
        workdir: p('work-term'),
        agentId: 'term-real',
        group: 'rel',
      }),
    ]);
    procs.push(agent);
    for (let i = 0; i < 600 && !/"test":"cpu".*trial|connected to collector/.test(agent.stderr()); i++) await sleep(50);
    await sleep(3500); // into the second cpu trial
    agent.signal('SIGTERM');
    const exit = await agent.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(agent.stderr()).toContain('stopping');
    const spool = Spool.open(p('work-term/spool'));
    const left = spool.stats().spooled;
    spool.close();
    expect(left).toBe(0); // everything produced was acknowledged, i.e. written
    const results = await storedIds(fx.influxd.url, 'sysbench', 'term-real');
    const samples = await storedIds(fx.influxd.url, 'sysbench_interval', 'term-real');
    expect(new Set(results).size).toBe(results.length);
    expect(new Set(samples).size).toBe(samples.length);
    expect(samples.length).toBeGreaterThan(0);
    // An interrupted trial writes no result; the finished ones are there.
    for (const id of results) expect(id).toMatch(/^term-real:[\w-]+:cpu:\d$/);
    recordFigures('agent SIGTERM during a real run (quick cpu, 3 trials)', {
      sent: results.length + samples.length,
      acknowledged: results.length + samples.length,
      stored: results.length + samples.length,
      spooled: left,
      dropped: 0,
      rejected: 0,
      lost: 0,
      duplicated: 0,
      note: `exit 0, spool empty after the flush; ${results.length} finished trial(s), ${samples.length} samples`,
    });
  });
});
