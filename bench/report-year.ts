// A year of the fleet benchmark's results (bench/fleet-model.ts: the same agents, runs and noise)
// written straight into a private influxd, for timing `virt-overhead report` over a year. Loading
// a year through the real collector takes hours here (bench/fleet.bench.ts --fleet-full); the
// report reads only `sysbench` (and finds no facts, clocks or nested-stack points), so these
// lines, encoded by the collector's own StreamEncoder, are what it meets after such a year.
//
//   node dist/bench/report-year.js --dir=DIR [--groups=2] [--guests=100] [--days=365] [--no-noise]
//
// The 1 010-agent year (`--groups=10`, issue 26's fleet: 4 423 800 trials) took 16 min at load 7–10
// and 802 MB (docs/scaling.md, "`report` over a year of 1 000 guests"); 202 agents take 4–5 min.
//
// Each trial carries the noise signals an agent records (schema/noise.ts) and, where steal or
// contention passes 5 %, is judged disturbed by the agent's own rule (agent/noise/disturbed.ts): the report's
// noise lines (medians over the period) and its disturbed counts then cost what they cost on a
// real fleet's data. `--no-noise` writes the trials without them (the data of earlier sessions).
//
// writes DIR (an influxd directory, database virt_overhead; runs end at the last full hour) and
// stops its influxd. Time builds on copies of DIR (`cp -a DIR COPY`, then influxd on COPY).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { freePort, startInfluxd } from '../collector/influx/influxd.js';
import { rawQuery } from '../collector/influx/http.js';
import { setUpRetention } from '../collector/influx/setup.js';
import { DEFAULT_RETENTION } from '../schema/retention.js';
import { identityTags, StreamEncoder } from '../collector/influx/points.js';
import { chainFields } from '../collector/influx/chain-fields.js';
import type { Hello__Output, Result__Output } from '../proto/index.js';
import { mulberry32 } from '../lib/stats/random.js';
import { disturbedReason } from '../agent/noise/disturbed.js';
import { fleetAgents, fleetHello, fleetRuns, runMessages, type FleetSpec } from './fleet-model.js';
import { countArg } from './args.js';

const DB = 'virt_overhead';

/**
 * Noise signals of one trial, drawn from `r`: mostly a quiet host (steal and contention well under
 * 1 %), now and then a busy one (about 2 % of trials over the threshold). Values at the agent's
 * resolution (two decimals), so medians meet ties as real ones do.
 */
function trialNoise(r: () => number): { noise: Record<string, number>; disturbed: string } {
  const busy = r() < 0.02;
  const round = (x: number) => Math.round(x * 100) / 100;
  const steal = round(busy ? 3 + r() * 12 : r() * r() * 0.8);
  const contention = round(busy ? r() * 10 : r() * r() * 1.5);
  const noise = {
    steal_pct: steal,
    contention_pct: contention,
    load1: round(1 + r() * (busy ? 6 : 0.6)),
    procs_running: round(1 + r() * (busy ? 4 : 0.3)),
    cpu_mhz: round(2_400 + r() * 400),
    agent_cpu_pct: round(0.2 + r() * 0.6),
  };
  return { noise, disturbed: disturbedReason(noise) ?? '' };
}

const option = (name: string, fallback: number): number => countArg(process.argv, name) ?? fallback;

/** Waits until every shard (DIR/data/DB/<policy>/<id>) has its cache in a TSM file (at most 5 min). */
async function settled(dir: string): Promise<void> {
  const data = join(dir, 'data', DB);
  const shards = () =>
    readdirSync(data)
      .filter((p) => !p.startsWith('_'))
      .flatMap((p) => readdirSync(join(data, p)).map((id) => join(data, p, id)));
  for (let i = 0; i < 300; i++) {
    if (shards().every((s) => readdirSync(s).some((f) => f.endsWith('.tsm')))) return;
    await sleep(1000);
  }
  throw new Error(`${dir}: shards still without TSM files after 5 min`);
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
  const withNoise = !process.argv.includes('--no-noise');
  rmSync(dir, { recursive: true, force: true });
  // Written caches go to TSM files 10 s after the last write (default 10 min), so the data is left
  // as a long-running InfluxDB holds it, not as a write-ahead log the next start replays into memory.
  const influx = await startInfluxd({ dir, port: await freePort(), env: { INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION: '10s' } });
  try {
    const query = rawQuery({ url: influx.url, database: DB });
    await query(`CREATE DATABASE ${DB}`);
    // The collector's policies: its kept policy's shards are 52 weeks long (a year of a series is
    // one or two shards, not 52; InfluxDB's default is a week), which sets what a year's read costs.
    await (
      await setUpRetention(query, DB, DEFAULT_RETENTION, pino({ level: 'silent' }))
    ).backfill;
    const runs = fleetRuns(spec);
    let points = 0;
    for (const a of fleetAgents(spec)) {
      // The wire types stand for what grpc-js hands the collector (bench/fleet-agents.ts sends these).
      const hello = fleetHello(a) as unknown as Hello__Output;
      const encoder = new StreamEncoder(identityTags(hello), chainFields(hello));
      const lines: string[] = [];
      const r = mulberry32(a.seed * 7 + 26);
      for (let i = 0; i < runs; i++)
        for (const m of runMessages(spec, a, i)) {
          if (!m.result) continue;
          const result = withNoise ? { ...m.result, ...trialNoise(r) } : m.result;
          lines.push(encoder.result(result as unknown as Result__Output).line);
        }
      for (let i = 0; i < lines.length; i += 20_000) {
        const res = await fetch(`${influx.url}/write?db=${DB}&precision=n`, { method: 'POST', body: lines.slice(i, i + 20_000).join('\n') });
        if (!res.ok) throw new Error(`writing ${a.id}: ${res.status} ${await res.text()}`);
      }
      points += lines.length;
    }
    await settled(dir);
    process.stdout.write(`${points} sysbench points${withNoise ? ' with noise' : ''} of ${fleetAgents(spec).length} agents, ${runs} runs each, in ${dir}\n`);
  } finally {
    await influx.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
