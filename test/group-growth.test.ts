// Bad input at fleet size (issue 26): a group that grows from 10 to 1 000 guests, and a collector
// killed in the middle of the recompute a late baseline run starts for that group.
//
// Real parts only: one influxd, real `virt-overhead collector` processes, real gRPC agents
// (bench/sim-agent.ts) sending the fleet model's runs (bench/fleet-model.ts: recorded noise, one
// cpu test, 2 trials a run so the data stays small). Three days of 6-hourly runs: the baseline
// and 10 guests send theirs, then 990 more guests join for the last two runs. No timing is
// asserted; the bounds only stop a hung test (the collectors run at the test's nice level: at load
// 13-15 the restart's recompute took longer than 900 s with four runs per late guest).
//
// 1. Every guest's runs have their overhead, once: one point per run and metric, none missing,
//    none extra; `report` shows all 1 000 guests against the baseline and `report --changes`
//    answers over them.
// 2. The baseline's last run arrives after all of that, so the collector recomputes the guest
//    runs of a 1 000-guest group in its window; the collector is SIGKILLed right after the ack,
//    while that work is owed. The next start finishes it: every `overhead` point equals those of
//    a clean computation of the same stored runs (their copy in another database, computed from
//    scratch by a collector that was never killed).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../collector/influx/influxd.js';
import { owedMarkerLine } from '../collector/owed.js';
import { policyOf } from '../schema/retention.js';
import { fleetAgents, fleetHello, fleetRuns, runMessages, type FleetAgent, type FleetSpec } from '../bench/fleet-model.js';
import { owedMarkers, startCollectorProcess, waitIdle, type CollectorProcess } from '../bench/fleet-collector.js';
import { SimAgent } from '../bench/sim-agent.js';
import { MAIN } from './support/cli.js';
import { influxdFixture } from './support/fixture.js';
import { influxQuery, storedPoints } from './support/stored-points.js';

// The file's influxd and temp folder (test/support/fixture.ts): stopped by pid, the folder removed.
const fx = influxdFixture('vo-group-growth-');
const dir = fx.dir;
const DIST = join(MAIN, '..', '..');
const GUESTS = 1000;
const FIRST = 10;
const spec: FleetSpec = {
  groups: 1,
  guestsPerGroup: GUESTS,
  stacks: 0,
  days: 3,
  trials: 2,
  samplesDays: 0,
  samplesPerRun: 0,
  endMs: Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000,
};
const RUNS = fleetRuns(spec); // 12
/** The runs the late guests send: the last two. */
const LATE_FROM = RUNS - 2;
const IDLE_MS = 1_800_000;

const agents = fleetAgents(spec);
const baseline = agents.find((a) => a.role === 'baseline')!;
const guests = agents.filter((a) => a.role === 'guest');

const collectors: CollectorProcess[] = [];

async function collector(database: string): Promise<CollectorProcess> {
  const c = await startCollectorProcess({
    dist: DIST,
    port: await freePort(),
    influxUrl: fx.influxd.url,
    database,
    logFile: join(dir, `collector-${database}.log`),
  });
  collectors.push(c);
  return c;
}

/** Each agent sends runs [from, to) through its own stream; 100 agents at a time. */
async function send(address: string, who: readonly FleetAgent[], from: number, to: number): Promise<void> {
  for (let k = 0; k < who.length; k += 100)
    await Promise.all(
      who.slice(k, k + 100).map(async (a) => {
        const sim = new SimAgent(address, fleetHello(a));
        await sim.connect(120_000);
        try {
          for (let i = from; i < to; i++) expect((await sim.send(runMessages(spec, a, i))).rejected).toEqual([]);
        } finally {
          sim.close();
        }
      }),
    );
}

/** Overhead points of the headline metric per guest. */
async function overheadPerGuest(db: string): Promise<Map<string, number>> {
  const rows = await influxQuery(fx.influxd.url, db, `SELECT count("ratio") FROM "overhead" WHERE "metric" = 'events_per_sec' GROUP BY "agent"`);
  return new Map(rows.map((s) => [s.tags!.agent!, Number(s.values[0]![1])]));
}

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

afterAll(async () => {
  for (const c of collectors) await c.stop().catch(() => undefined);
});

describe('a group that grows from 10 to 1 000 guests', () => {
  let grow: CollectorProcess;

  it(
    'computes every guest run’s overhead once; report and report --changes answer over all of them',
    async () => {
      grow = await collector('grow');
      // The baseline's last run is held back for the recompute below.
      await send(grow.address, [baseline], 0, RUNS - 1);
      await send(grow.address, guests.slice(0, FIRST), 0, RUNS);
      await waitIdle(fx.influxd.url, 'grow', IDLE_MS);
      await send(grow.address, guests.slice(FIRST), LATE_FROM, RUNS);
      await waitIdle(fx.influxd.url, 'grow', IDLE_MS);

      const per = await overheadPerGuest('grow');
      const expected = new Map(guests.map((g, k) => [g.id, k < FIRST ? RUNS : RUNS - LATE_FROM]));
      expect(per.size).toBe(GUESTS);
      const wrong = guests.filter((g) => per.get(g.id) !== expected.get(g.id)).map((g) => `${g.id}: ${per.get(g.id)} of ${expected.get(g.id)}`);
      expect(wrong).toEqual([]);

      const report = await cli(['report', '--influx', fx.influxd.url, '--database', 'grow', '--since', '7d', '--format', 'json']);
      expect(report.code, report.out.slice(-2000)).toBe(0);
      const doc = JSON.parse(report.out) as {
        sections: Array<{ metrics: Array<{ results: Array<{ system: { role: string }; vs_reference: { baseline_run_id: string } | null }> }> }>;
      };
      const shown = doc.sections.flatMap((s) => s.metrics[0]!.results).filter((r) => r.system.role === 'guest');
      expect(shown).toHaveLength(GUESTS);
      // Each against a baseline run (none 'no baseline run within the window').
      expect(shown.filter((r) => !r.vs_reference?.baseline_run_id)).toEqual([]);

      const changes = await cli(['report', '--changes', '--influx', fx.influxd.url, '--database', 'grow', '--since', '7d', '--format', 'json']);
      expect(changes.code, changes.out.slice(-2000)).toBe(0);
      const series = (JSON.parse(changes.out) as { series: Array<{ key: { agent: string } }> }).series;
      expect(new Set(series.map((s) => s.key.agent)).size).toBe(GUESTS);
    },
    IDLE_MS * 2,
  );

  it(
    'a collector killed during a late baseline run’s recompute of the group: the next start finishes it, equal to a clean computation',
    async () => {
      const before = await storedPoints(fx.influxd.url, 'grow', 'overhead');
      await send(grow.address, [baseline], RUNS - 1, RUNS);
      // Acked: the recompute of the 1 000 guests' runs in its window is owed now, not done.
      await grow.kill();
      expect(await owedMarkers(fx.influxd.url, 'grow')).toBeGreaterThan(0);
      await collector('grow');
      await waitIdle(fx.influxd.url, 'grow', IDLE_MS);
      const after = await storedPoints(fx.influxd.url, 'grow', 'overhead');
      // The late baseline run changed guest runs' overhead (the recompute did something).
      expect(after).not.toEqual(before);

      // The same stored runs, computed from scratch by a collector never killed.
      await (await collector('clean')).stop();
      for (const rp of await influxQuery(fx.influxd.url, 'grow', 'SHOW RETENTION POLICIES'))
        for (const [name] of rp.values as Array<[string]>)
          await influxQuery(fx.influxd.url, 'grow', `SELECT * INTO "clean"."${name}"."sysbench" FROM "grow"."${name}"."sysbench" GROUP BY *`);
      const times = (await influxQuery(fx.influxd.url, 'clean', 'SELECT "run_id" FROM "sysbench"', 'ns'))[0]!.values.map((v) => String(v[0]));
      const rp = policyOf('overhead_owed');
      const res = await fetch(`${fx.influxd.url}/write?db=clean&precision=n${rp ? `&rp=${rp}` : ''}`, {
        method: 'POST',
        body: owedMarkerLine(times, BigInt(Date.now()) * 1_000_000n, 'a-collector-that-died'),
      });
      expect(res.status).toBe(204);
      await collector('clean');
      await waitIdle(fx.influxd.url, 'clean', IDLE_MS);
      const clean = await storedPoints(fx.influxd.url, 'clean', 'overhead');
      expect(clean.length).toBe(after.length);
      expect(after).toEqual(clean);
    },
    IDLE_MS * 3,
  );
});
