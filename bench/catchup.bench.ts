// How fast a fleet catches up after a collector outage (issue 26): 1 000 guests in 10 groups of
// 100 with their baselines and 3 nested stacks (bench/fleet-model.ts) load a day of history
// normally, run by run, through the real collector of the build under test (its own process,
// bench/fleet-collector.ts) into a private influxd; then the collector is stopped (SIGTERM) for a
// day: every agent's next 4 runs (results, interval samples, heartbeats) wait in its spool. The
// collector comes back, with its deployed rate limits; the agents reconnect and replay their
// spools at once (each agent's records window-limited, not run by run: bench/fleet-agents.ts
// 'replay'). Measured from the start of the reconnection: every record acked (goal ≤ 60 s), no
// work owed — overhead, nested stacks, change points, latest, rollups; no overhead_owed marker
// left (goal ≤ 10 min) — and the collector's peak RSS (goal ≤ 500 MB). The goals and the
// figures' verdicts: bench/catchup-plan.ts.
//
// `npm run bench -- --only=catchup [--dist=DIR] [--catchup-label=TEXT] [--catchup-groups=N]
// [--catchup-guests=N] [--catchup-days=N]` (default 10 groups × 100 guests, 1 day of history).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { startInfluxd } from '../collector/influx/influxd.js';
import { catchupOptionsFromArgv, catchupPlan, catchupResults, type CatchupOptions } from './catchup-plan.js';
import {
  collectorNodeArgs,
  keepCollectorLog,
  rssSampler,
  startCollectorProcess,
  tearDownFleetRun,
  waitIdle,
  type CollectorProcess,
} from './fleet-collector.js';
import { Agents, collectorPorts, loadText, spentSince, spentText, watching } from './fleet.bench.js';
import { fleetAgents } from './fleet-model.js';
import { cpuMs } from './proc.js';
import { sig } from './stats.js';
import { runIfMain } from './standalone.js';
import type { BenchResult, BenchSection } from './types.js';

const DB = 'virt_overhead';
const MB = 1024 * 1024;

export async function benchCatchup(o: CatchupOptions & { log?: (line: string) => void } = {}): Promise<BenchSection> {
  const say = o.log ?? ((m: string) => process.stderr.write(`[bench] catchup: ${m}\n`));
  const dist = o.dist ?? join(packageRoot(), 'dist');
  const label = o.label ?? 'this build';
  const plan = catchupPlan(o, Date.now());
  const { spec, historyRuns, outageRuns } = plan;
  const agents = fleetAgents(spec);
  const guests = agents.filter((a) => a.role === 'guest').length;
  const notes: string[] = [
    `Load average at the start: ${loadText()} (2 shared cores).`,
    `The collector runs with the node options of its build's systemd unit: ${collectorNodeArgs(dist).join(' ') || '(none)'}.`,
  ];
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-catchup-'));
  const influx = await startInfluxd({ dir: join(dir, 'influx') });
  const { port, metricsPort } = await collectorPorts();
  const start = (limits: 'lifted' | 'deployed') =>
    startCollectorProcess({ dist, port, metricsPort, influxUrl: influx.url, database: DB, logFile: join(dir, 'collector.log'), limits });
  let collector: CollectorProcess | null = null;
  let results: BenchResult[] = [];
  const sim = new Agents(spec);
  const sampler = rssSampler(() => collector);
  try {
    // The history: run by run, each run's work finished before the next (as the fleet bench loads).
    collector = await start('lifted');
    await sim.connect(collector.address, watching(collector, influx));
    say(`${agents.length} agents connected to the collector of ${dist} (load ${loadText()})`);
    const h0 = performance.now();
    for (let i = 0; i < historyRuns; i++) {
      await sim.send(i, i + 1);
      await waitIdle(influx.url, DB, 3_600_000);
      say(
        `history: run ${i + 1}/${historyRuns} done (${Math.round((performance.now() - h0) / 1000)} s, RSS ${Math.round(collector.memory().rss / MB)} MB, load ${loadText()})`,
      );
    }
    const historyS = (performance.now() - h0) / 1000;
    const loadPeak = Math.max(sampler.peak(), collector.memory().peak);

    // The outage: the collector stops as systemd stops it; the agents' next runs wait in their spools.
    await collector.stop();
    collector = null;
    const spooled = await sim.spool(historyRuns, historyRuns + outageRuns);
    say(`outage: ${spooled.records} records (${spooled.results} results) spooled by ${agents.length} agents (load ${loadText()})`);
    notes.push(`Load average when the collector came back: ${loadText()}.`);

    // The collector comes back (its deployed rate limits); the agents reconnect and replay.
    sampler.reset();
    const s0 = performance.now();
    collector = await start('deployed');
    const startMs = performance.now() - s0;
    const c = collector;
    const spent0 = await c.listenerSeconds();
    const cpu0 = c.cpuMs();
    const influxCpu0 = cpuMs(influx.pid);
    const t0 = performance.now();
    await sim.connect(c.address, watching(c, influx));
    const reconnectedMs = performance.now() - t0;
    const sent = await sim.replay();
    const ackedMs = performance.now() - t0;
    const ackedCpuMs = c.cpuMs() - cpu0;
    const ackedInfluxCpuMs = cpuMs(influx.pid) - influxCpu0;
    if (sent.acked !== spooled.records) throw new Error(`${sent.acked} of ${spooled.records} spooled records acked`);
    say(`catch-up: reconnected in ${Math.round(reconnectedMs)} ms, every record acked at ${Math.round(ackedMs)} ms (load ${loadText()})`);
    await waitIdle(influx.url, DB, 3_600_000);
    const idleMs = performance.now() - t0;
    const collectorCpuMs = c.cpuMs() - cpu0;
    const influxCpuMs = cpuMs(influx.pid) - influxCpu0;
    const spent = spentSince(spent0, await c.listenerSeconds());
    const peak = Math.max(sampler.peak(), c.memory().peak);
    say(
      `catch-up: no work owed at ${Math.round(idleMs)} ms; collector CPU ${Math.round(collectorCpuMs)} ms, peak RSS ${Math.round(peak / MB)} MB (load ${loadText()})`,
    );
    results = catchupResults({
      guests,
      agents: agents.length,
      reconnectedMs,
      ackedMs,
      idleMs,
      peakRssBytes: peak,
      records: spooled.records,
      results: spooled.results,
      collectorCpuMs,
      agentAckedMs: (sent.agentMs ?? []).map((ms) => reconnectedMs + ms),
    });
    results.push(
      { name: 'collector CPU, reconnection → every record acked', value: Math.round(ackedCpuMs), unit: 'ms' },
      { name: 'influxd CPU, reconnection → every record acked', value: Math.round(ackedInfluxCpuMs), unit: 'ms' },
      { name: 'influxd CPU, reconnection → no work owed', value: Math.round(influxCpuMs), unit: 'ms' },
      { name: 'the collector back: start → listening', value: Math.round(startMs), unit: 'ms' },
      {
        name: `history before the outage: ${historyRuns} runs loaded run by run, each run's work done before the next`,
        value: Math.round(historyS),
        unit: 's',
      },
      { name: 'collector resident memory, peak while the history loaded (the process before the outage)', value: Math.round(loadPeak / MB), unit: 'MB' },
    );
    notes.push(
      `The catch-up's work after the acks by calculator (wall, /metrics after_write_seconds_total): ${spentText(spent, spooled.results)}.`,
      `The simulated agents' CPU during the replay ${Math.round(sent.clientCpuMs)} ms (their own process, on the same two cores), ${sig((sent.clientCpuMs / Math.max(1, spooled.records)) * 1000, 3)} µs a record.`,
      `Load average at the end: ${loadText()}.`,
    );
  } catch (err) {
    say(`failed; the collector's log is in ${keepCollectorLog(dir, 'catchup')}`);
    throw err;
  } finally {
    await tearDownFleetRun({ sampler, sim, collector, influx, dir });
  }
  return {
    title: `Catch-up after a one-day collector outage: ${guests} guests (${label})`,
    method:
      `${spec.groups} groups of ${spec.guestsPerGroup} guests and their native baseline, and ${spec.stacks} nested stacks (native → L1 → L2) in a group of their own: ${agents.length} agents, real gRPC clients in their own process (bench/fleet-agents.ts), the fleet bench's model of a run (bench/fleet-model.ts: sysbench cpu, ${spec.trials} trials, ${spec.samplesPerRun} interval samples, a heartbeat, noise from recorded runs). ` +
      `First ${historyRuns} runs of history (${historyRuns / 4} day${historyRuns === 4 ? '' : 's'} of 6-hourly runs) sent run by run through \`virt-overhead collector\` of the build under test (${label}) as its own process into a private influxd, each run's work after the acks finished before the next (per-agent rate limits lifted for this compressed load). ` +
      `Then the outage: the collector stopped by SIGTERM, and every agent's next ${outageRuns} runs (one day) held in its spool, encoded before the clock starts (a real agent reads its spool on its own machine). ` +
      "The collector started again with its deployed defaults (rate limits included), and every agent reconnected (hello → welcome, 100 at a time) and replayed its whole spool at once, as the agent does after a reconnection: up to its window of unacked records (1 024, agent/stream/sender.ts), packed into RecordBatch messages, not waiting for one run's acks before the next. " +
      'Times are from the start of the reconnection: until every spooled record was acked, and until InfluxDB held no overhead_owed marker (the collector computed the overhead, nested stacks, change points, latest and rollups of every result it acked). ' +
      "Peak RSS: the VmHWM of the collector process started after the outage (and a 0.5 s sampler of VmRSS). One catch-up per run of the section: its wall times are as loaded as the machine; the collector's CPU is the figure that compares builds.",
    results,
    notes,
  };
}

runIfMain(import.meta.url, 'catchup', (argv) => benchCatchup(catchupOptionsFromArgv(argv)));
