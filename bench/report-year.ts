// A year of the fleet benchmark's results (bench/fleet-model.ts: the same agents, runs and noise)
// written straight into a private influxd, for timing `virt-overhead report` over a year. Loading
// a year through the real collector takes hours here (bench/fleet.bench.ts --fleet-full); the
// report reads only `sysbench` (and finds no facts, clocks or nested-stack points), so these
// lines, encoded by the collector's own StreamEncoder, are what it meets after such a year.
//
//   node dist/bench/report-year.js --dir=DIR [--groups=2] [--guests=100] [--days=365]
//
// writes DIR (an influxd directory, database virt_overhead; runs end at the last full hour) and
// stops its influxd. Time builds on copies of DIR (`cp -a DIR COPY`, then influxd on COPY).
import { rmSync } from 'node:fs';
import { freePort, startInfluxd } from '../collector/influx/influxd.js';
import { identityTags, StreamEncoder } from '../collector/influx/points.js';
import { chainFields } from '../collector/influx/chain-fields.js';
import type { Hello__Output, Result__Output } from '../proto/index.js';
import { fleetAgents, fleetHello, fleetRuns, runMessages, type FleetSpec } from './fleet-model.js';

const DB = 'virt_overhead';

function option(name: string, fallback: number): number {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}=${v}: a whole number ≥ 1`);
  return n;
}

async function main(): Promise<void> {
  const dir = process.argv.find((a) => a.startsWith('--dir='))?.slice(6);
  if (!dir) throw new Error('usage: node dist/bench/report-year.js --dir=DIR [--groups=2] [--guests=100] [--days=365]');
  const spec: FleetSpec = {
    groups: option('groups', 2),
    guestsPerGroup: option('guests', 100),
    stacks: 0,
    days: option('days', 365),
    trials: 3,
    samplesDays: 0,
    samplesPerRun: 0,
    endMs: Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000,
  };
  rmSync(dir, { recursive: true, force: true });
  const influx = await startInfluxd({ dir, port: await freePort() });
  try {
    await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${DB}`)}`, { method: 'POST' });
    const runs = fleetRuns(spec);
    let points = 0;
    for (const a of fleetAgents(spec)) {
      // The wire types stand for what grpc-js hands the collector (bench/fleet-agents.ts sends these).
      const hello = fleetHello(a) as unknown as Hello__Output;
      const encoder = new StreamEncoder(identityTags(hello), chainFields(hello));
      const lines: string[] = [];
      for (let i = 0; i < runs; i++)
        for (const m of runMessages(spec, a, i)) if (m.result) lines.push(encoder.result(m.result as unknown as Result__Output).line);
      for (let i = 0; i < lines.length; i += 20_000) {
        const res = await fetch(`${influx.url}/write?db=${DB}&precision=n`, { method: 'POST', body: lines.slice(i, i + 20_000).join('\n') });
        if (!res.ok) throw new Error(`writing ${a.id}: ${res.status} ${await res.text()}`);
      }
      points += lines.length;
    }
    process.stdout.write(`${points} sysbench points of ${fleetAgents(spec).length} agents, ${runs} runs each, in ${dir}\n`);
  } finally {
    await influx.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
