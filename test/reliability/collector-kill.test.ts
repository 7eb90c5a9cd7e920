// Collector SIGKILLed in the middle of a stream and restarted on the same port: the agent
// reconnects (capped, jittered backoff) and every record lands exactly once.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { MAIN, onceAgentArgs } from '../support/cli.js';
import { recordFigures } from '../support/figures.js';
import {
  compareIds,
  lastJson,
  loadIds,
  sleep,
  spawnProc,
  startCollectorProc,
  startLoadAgent,
  stopProc,
  storedIds,
  type CollectorProc,
  type Proc,
} from '../support/procs.js';

const fx = influxdFixture('vo-rel-ckill-');
const dir = fx.dir;
const procs: Proc[] = [];

afterAll(async () => {
  for (const p of procs) await stopProc(p);
});

async function collector(port = 0): Promise<CollectorProc> {
  const c = await startCollectorProc(['--listen', `127.0.0.1:${port}`, '--influx', fx.influxd.url]);
  procs.push(c);
  return c;
}

describe('collector killed mid-stream', () => {
  it('load agent: two SIGKILLs of the collector, every record present exactly once', async () => {
    let c = await collector();
    const port = c.port;
    const COUNT = 6000;
    const agent = startLoadAgent({
      collector: c.address,
      spoolDir: join(dir, 'spool-load'),
      agentId: 'ckill-load',
      count: COUNT,
      batch: 10,
      everyMs: 5,
      backoffBaseMs: 100,
    });
    procs.push(agent);
    await agent.waitFor(/"event":"connected","n":1/);
    const reconnectMs: number[] = [];
    for (const n of [2, 3]) {
      await sleep(1500);
      c.signal('SIGKILL');
      await c.exited;
      await sleep(500);
      c = await collector(port);
      const restarted = Date.now();
      await agent.waitFor(new RegExp(`"event":"connected","n":${n}`));
      reconnectMs.push(Date.now() - restarted);
    }
    await agent.waitFor(/"event":"drained"/, 120_000);
    const drained = lastJson(agent, 'drained')!;
    expect(drained.spooled).toBe(0);
    const want = loadIds('ckill-load', COUNT);
    const results = compareIds(want.results, await storedIds(fx.influxd.url, 'sysbench', 'ckill-load'));
    const samples = compareIds(want.samples, await storedIds(fx.influxd.url, 'sysbench_interval', 'ckill-load'));
    expect(results).toEqual({ expected: 600, stored: 600, lost: 0, duplicated: 0, unexpected: 0 });
    expect(samples).toEqual({ expected: 5400, stored: 5400, lost: 0, duplicated: 0, unexpected: 0 });
    recordFigures('collector SIGKILL x2 mid-stream (load agent)', {
      sent: COUNT,
      acknowledged: COUNT - Number(drained.spooled),
      stored: results.stored + samples.stored,
      spooled: Number(drained.spooled),
      dropped: Number(drained.dropped),
      rejected: Number(drained.rejected),
      lost: results.lost + samples.lost,
      duplicated: results.duplicated + samples.duplicated,
      note: `reconnect after restart: ${reconnectMs.join(' ms, ')} ms`,
    });
    await stopProc(agent);
    await stopProc(c);
  });

  it('real agent (quick profile, 3 trials): collector SIGKILLed during the run, the agent finishes and exits 0 with all results stored once', async () => {
    let c = await collector();
    const port = c.port;
    const agent = spawnProc([
      MAIN,
      ...onceAgentArgs({
        collector: c.address,
        profile: 'quick',
        tests: 'cpu,mutex',
        trials: 3,
        workdir: join(dir, 'work'),
        agentId: 'ckill-real',
        group: 'rel',
        extra: ['--status-interval', '1s', '--log-level', 'info'],
      }),
    ]);
    procs.push(agent);
    const waitStderr = async (re: RegExp) => {
      for (let i = 0; i < 1200 && !re.test(agent.stderr()); i++) await sleep(50);
      expect(agent.stderr()).toMatch(re);
    };
    await waitStderr(/connected to collector/);
    await sleep(2500); // inside the first cpu trial (2 s runs), samples streaming
    c.signal('SIGKILL');
    await c.exited;
    await sleep(2000);
    c = await collector(port);
    const { code } = await agent.exited;
    expect(code).toBe(0);
    const finished = agent
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"suite finished"'))
      .map((l) => JSON.parse(l) as { results: number; samples: number; run: string })[0]!;
    expect(agent.stderr().match(/connected to collector/g)!.length).toBeGreaterThanOrEqual(2);
    // 3 cpu trials + 3 mutex trials at least (more only if their spread is large).
    expect(finished.results).toBeGreaterThanOrEqual(6);
    const results = await storedIds(fx.influxd.url, 'sysbench', 'ckill-real');
    const samples = await storedIds(fx.influxd.url, 'sysbench_interval', 'ckill-real');
    // The ids follow the agent's own scheme: agent:run:test:trial, so the expected set is known.
    expect(new Set(results).size).toBe(results.length);
    expect(results.length).toBe(finished.results);
    for (const id of results) expect(id).toMatch(new RegExp(`^ckill-real:${finished.run}:(cpu|mutex):\\d+$`));
    expect(new Set(samples).size).toBe(samples.length);
    expect(samples.length).toBe(finished.samples);
    recordFigures('collector SIGKILL during a real agent run (quick, cpu+mutex, 3 trials)', {
      sent: finished.results + finished.samples,
      acknowledged: finished.results + finished.samples,
      stored: results.length + samples.length,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: finished.results + finished.samples - results.length - samples.length,
      duplicated: 0,
      note: 'agent exit 0 after replay',
    });
    await stopProc(c);
  });
});
