// Two collectors computing the same group at once (issue 26 item 4): behind a load balancer, a
// group's guests and its baseline reach different collectors, and both recompute the same guest
// runs and analyse the same series. The change points must come out as one collector alone would
// write them: no stale point left beside a new one (the old 'DELETE the guest's points, then
// write' let two analyses leave their union), none missing.
//
// Real parts only: one influxd, real `virt-overhead collector` processes, real gRPC agents sending
// a month of a 6-guest group (bench/fleet-model.ts: recorded noise, shifts in some guests). The
// month is loaded once through a collector (database `ref`), its stored runs copied to two more
// databases with every derived measurement dropped and one `overhead_owed` marker naming the
// month, as a collector that died before computing leaves it. Then `one` is computed by one
// collector alone and `two` by two collectors started together, both catching up the same marker
// at the same moment: every `overhead*` point of `two` must equal `one`'s.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { owedMarkerLine } from '../collector/owed.js';
import { policyOf } from '../schema/retention.js';
import { fleetAgents, fleetHello, fleetRuns, runMessages, type FleetSpec } from '../bench/fleet-model.js';
import { waitIdle } from '../bench/fleet-collector.js';
import { SimAgent } from '../bench/sim-agent.js';
import { MAIN } from './support/cli.js';
import { influxdFixture } from './support/fixture.js';
import { influxQuery, storedPoints } from './support/stored-points.js';

// The file's influxd and temp folder (test/support/fixture.ts): stopped by pid, the folder removed.
const fx = influxdFixture('vo-two-collectors-');
const DERIVED = ['overhead', 'overhead_chain', 'overhead_change', 'overhead_series'];
const CAUGHT_UP = 'computed the overhead owed by an earlier collector';
const spec: FleetSpec = {
  groups: 1,
  guestsPerGroup: 6,
  stacks: 0,
  days: 30,
  trials: 3,
  samplesDays: 0,
  samplesPerRun: 0,
  endMs: Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000,
};

const running: ChildProcess[] = [];

interface Collector {
  child: ChildProcess;
  address: string;
  /** Resolves when it has logged `n` catch-ups of an earlier collector's markers. */
  caughtUp(n: number): Promise<void>;
}

function startCollector(database: string): Promise<Collector> {
  const child = spawn(
    process.execPath,
    [MAIN, 'collector', '--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--database', database, '--rate-limit', '1000000', '--log-level', 'info'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.push(child);
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const caughtUp = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.split(CAUGHT_UP).length - 1 >= n) return resolve();
        if (child.exitCode !== null) return reject(new Error(`collector pid ${child.pid} exited: ${out.slice(-2000)}`));
        waiters.push(check);
      };
      check();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector pid ${child.pid} printed no address in 60 s: ${out.slice(-2000)}`)), 60_000);
    const look = () => {
      const m = /listening on (\S+)/.exec(out);
      if (!m) return void waiters.push(look);
      clearTimeout(timer);
      resolve({ child, address: m[1]!, caughtUp });
    };
    look();
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${out.slice(-2000)}`)));
  });
}

async function stop(c: Collector): Promise<void> {
  const child = c.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  process.kill(child.pid!, 'SIGTERM');
  await closed;
}

/** The stored runs of `ref` copied into `db` (created by a collector's start), derived points dropped, one marker for the month. */
async function copyRuns(db: string): Promise<void> {
  for (const rp of await influxQuery(fx.influxd.url, 'ref', 'SHOW RETENTION POLICIES')) {
    for (const [name] of rp.values as Array<[string]>)
      await influxQuery(fx.influxd.url, 'ref', `SELECT * INTO "${db}"."${name}".:MEASUREMENT FROM "ref"."${name}"./.*/ GROUP BY *`);
  }
  for (const m of [...DERIVED, 'overhead_owed']) await influxQuery(fx.influxd.url, db, `DROP MEASUREMENT "${m}"`);
  const times = (await influxQuery(fx.influxd.url, db, 'SELECT "run_id" FROM "sysbench"', 'ns'))[0]!.values.map((v) => String(v[0]));
  const rp = policyOf('overhead_owed');
  const res = await fetch(`${fx.influxd.url}/write?db=${db}&precision=n${rp ? `&rp=${rp}` : ''}`, {
    method: 'POST',
    body: owedMarkerLine(times, BigInt(Date.now()) * 1_000_000n, 'a-collector-that-died'),
  });
  expect(res.status).toBe(204);
}

beforeAll(async () => {
  const ref = await startCollector('ref');
  const agents = fleetAgents(spec);
  const runs = fleetRuns(spec);
  await Promise.all(
    agents.map(async (a) => {
      const sim = new SimAgent(ref.address, fleetHello(a));
      await sim.connect();
      try {
        for (let i = 0; i < runs; i++) expect((await sim.send(runMessages(spec, a, i))).rejected).toEqual([]);
      } finally {
        sim.close();
      }
    }),
  );
  await waitIdle(fx.influxd.url, 'ref', 600_000);
  await stop(ref);
  // Each database made by a collector's start (its policies), then filled while none runs.
  for (const db of ['one', 'two']) await stop(await startCollector(db));
  await copyRuns('one');
  await copyRuns('two');
}, 900_000);

afterAll(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
});

describe('two collectors computing the same group at once', () => {
  it('store exactly the overhead and change points one collector alone stores: none duplicated, none missing', async () => {
    const alone = await startCollector('one');
    await alone.caughtUp(1);
    await stop(alone);
    const [a, b] = await Promise.all([startCollector('two'), startCollector('two')]);
    await Promise.all([a.caughtUp(1), b.caughtUp(1)]);
    await Promise.all([stop(a), stop(b)]);

    const expected = await storedPoints(fx.influxd.url, 'one', 'overhead_change');
    // The test can fail: the month holds changes to find (a shifted guest), and every run its overhead.
    expect(expected.length).toBeGreaterThan(0);
    expect((await storedPoints(fx.influxd.url, 'one', 'overhead')).length).toBeGreaterThanOrEqual(spec.guestsPerGroup * (fleetRuns(spec) - 4));
    for (const m of DERIVED)
      expect({ m, points: await storedPoints(fx.influxd.url, 'two', m) }).toEqual({ m, points: await storedPoints(fx.influxd.url, 'one', m) });
    // And the one collector's answer is the one the live collector gave while the runs arrived.
    for (const m of ['overhead', 'overhead_change'])
      expect({ m, points: await storedPoints(fx.influxd.url, 'one', m) }).toEqual({ m, points: await storedPoints(fx.influxd.url, 'ref', m) });
  }, 900_000);
});
