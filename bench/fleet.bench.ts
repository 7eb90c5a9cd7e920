// A thousand guests for a year (issue 26): a simulated year of 6-hourly runs of 1 000 guests in
// 10 groups with their native baselines and a few nested stacks (bench/fleet-model.ts), sent in
// compressed time by real gRPC agents (bench/fleet-agents.ts) through the real collector of the
// build under test (bench/fleet-collector.ts: `virt-overhead collector` of any dist/) into a
// private influxd; then what a user meets: every dashboard panel at its default range and over
// the year, `report`, `report --changes`, `report --compare`; what the collector meets: one guest
// batch, one baseline run of a 100-guest group, a tick of the whole fleet, a restart, its memory;
// and the footprint: InfluxDB disk per guest-year and the series count.
//
// `npm run bench -- --only=fleet [--dist=DIR] [--fleet-label=before]`. By default a scaled-down
// fleet that a quiet 2-core machine loads in minutes: 2 groups of 100 guests (so a baseline run
// still recomputes a 100-guest group) and 14 days; `--fleet-full` is the 10 groups of 100
// for 365 days (hours here); --fleet-groups, --fleet-guests, --fleet-days set each.
// --fleet-budget=MIN stops the load early, checked after each run (with a budget the load goes a
// run at a time unless --fleet-chunk-days says otherwise; the rate and a projection are reported);
// --fleet-keep=DIR keeps a copy of the loaded year and --fleet-data=DIR measures on a copy of one
// instead of loading (the same year for two builds).
import { execFileSync, fork } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { freePort, startInfluxd, type InfluxdHandle } from '../collector/influx/influxd.js';
import { identityTags } from '../collector/influx/points.js';
import type { Hello__Output } from '../proto/index.js';
import { DOWNSAMPLE_WINDOW_MS } from '../schema/retention.js';
import type { FleetCommand, FleetReply, FleetSent, FleetSpooled } from './fleet-agents.js';
import type { CollectorWatch } from './collector-watch.js';
import {
  collectorNodeArgs,
  keepCollectorLog,
  rssSampler,
  startCollectorProcess,
  tearDownFleetRun,
  waitIdle,
  type CollectorProcess,
} from './fleet-collector.js';
import { fleetAgents, fleetHello, fleetRuns, runMessages, type FleetAgent, type FleetSpec } from './fleet-model.js';
import { dashboardQueries, influxRows, lastRange, panelSql, rangeName, runCli, timeRepeated, type Timing } from './fleet-queries.js';
import { sig } from './stats.js';
import { runIfMain } from './standalone.js';
import type { BenchResult, BenchSection } from './types.js';
import { argValue } from './args.js';

const DB = 'virt_overhead';
const MB = 1024 * 1024;

export interface FleetOptions {
  /** The build under test: a dist/ directory (default: this one). */
  dist?: string;
  /** Names the section: 'before: 5865a41', … (default: 'this build'). */
  label?: string;
  groups?: number;
  guestsPerGroup?: number;
  days?: number;
  /** Days sent before each wait for the collector to finish its work. */
  chunkDays?: number;
  /** Stop loading after this long (ms); the rest of the year is projected from the rate. */
  budgetMs?: number;
  keepDir?: string;
  dataDir?: string;
  repeats?: number;
  log?: (line: string) => void;
}

/** The fleet options from the command line (`--dist=DIR --fleet-days=30 …`). */
export function fleetOptionsFromArgv(argv: readonly string[]): FleetOptions {
  const get = (name: string) => argValue(argv, name);
  const num = (name: string) => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name}=${v}: a positive number, please`);
    return n;
  };
  const budget = num('fleet-budget');
  const o: FleetOptions = {};
  const set = <K extends keyof FleetOptions>(k: K, v: FleetOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('dist', get('dist') && resolve(get('dist')!));
  set('label', get('fleet-label'));
  const full = argv.includes('--fleet-full');
  set('groups', num('fleet-groups') ?? (full ? 10 : undefined));
  set('guestsPerGroup', num('fleet-guests') ?? (full ? 100 : undefined));
  set('days', num('fleet-days') ?? (full ? 365 : undefined));
  set('chunkDays', num('fleet-chunk-days'));
  set('budgetMs', budget && budget * 60_000);
  set('keepDir', get('fleet-keep') && resolve(get('fleet-keep')!));
  set('dataDir', get('fleet-data') && resolve(get('fleet-data')!));
  set('repeats', num('fleet-repeats'));
  return o;
}

export const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

/** The simulated agents' process (bench/fleet-agents.ts). */
export class Agents {
  private readonly child;
  private waiting: ((m: FleetReply) => void) | null = null;

  constructor(spec: FleetSpec) {
    this.child = fork(new URL('./fleet-agents.js', import.meta.url).pathname, [JSON.stringify(spec)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    this.child.on('message', (m: FleetReply) => this.waiting?.(m));
  }

  private ask<T extends FleetReply>(cmd: FleetCommand): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the simulated agents (pid ${this.child.pid}) exited with ${code}`));
      this.child.once('exit', onExit);
      this.waiting = (m) => {
        this.child.off('exit', onExit);
        this.waiting = null;
        if (m.type === 'error') reject(new Error(`simulated agents: ${m.message}`));
        else resolve(m as T);
      };
      this.child.send(cmd);
    });
  }

  connect(address: string, watch: CollectorWatch) {
    return this.ask<{ type: 'connected'; agents: number }>({ type: 'connect', address, watch });
  }

  async send(from: number, to: number, only?: string[]): Promise<FleetSent> {
    const sent = await this.ask<FleetSent>({ type: 'send', from, to, ...(only ? { only } : {}) });
    if (sent.rejected.length) throw new Error(`the collector rejected simulated records, e.g. ${sent.rejected[0]}`);
    return sent;
  }

  /** Every agent's runs [from, to) encoded as its spool holds them after an outage. */
  spool(from: number, to: number): Promise<FleetSpooled> {
    return this.ask<FleetSpooled>({ type: 'spool', from, to });
  }

  /** Every agent replays its spool at once; resolves when every record was acked. */
  async replay(): Promise<FleetSent> {
    const sent = await this.ask<FleetSent>({ type: 'replay' });
    if (sent.rejected.length) throw new Error(`the collector rejected replayed records, e.g. ${sent.rejected[0]}`);
    return sent;
  }

  close(): void {
    if (this.child.connected) this.child.send({ type: 'close' });
  }
}

/** Two free loopback ports, one for the collector's gRPC and one for its /metrics. */
export async function collectorPorts(): Promise<{ port: number; metricsPort: number }> {
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  return { port, metricsPort };
}

/** What the simulated agents watch while they wait for acks: this collector and its InfluxDB. */
export const watching = (c: CollectorProcess, influx: InfluxdHandle): CollectorWatch => ({ pid: c.pid, influxUrl: influx.url, database: DB });

/** Bytes under a directory (du -sb). */
function diskBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** The 5-minute windows of runs older than the samples policy, as the continuous query made them then. */
function olderWindows(spec: FleetSpec, agents: readonly FleetAgent[], runs: number): string[] {
  const lines: string[] = [];
  const cutoff = spec.endMs - spec.samplesDays * 86_400_000;
  for (const a of agents) {
    const tags = identityTags(fleetHello(a) as unknown as Hello__Output) as unknown as Record<string, string>;
    const key = `sysbench_interval_5m,${Object.entries({ ...tags, test: 'cpu', profile: 'seed', sysbench_version: '1.0.20' })
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
    for (let i = 0; i < runs; i++) {
      const msgs = runMessages({ ...spec, samplesDays: spec.days + 1 }, a, i).filter((m) => m.sample);
      const first = Number(BigInt(String(msgs[0]!.sample!.timestamp_ns)) / 1_000_000n);
      if (first >= cutoff) continue;
      const fields: string[] = [];
      for (const f of ['threads', 'events_per_sec', 'latency_pct', 'latency_pct_ms']) {
        const v = msgs.map((m) => (m.sample!.fields as Record<string, number>)[f]!);
        fields.push(`${f}_mean=${v.reduce((x, y) => x + y, 0) / v.length},${f}_min=${Math.min(...v)},${f}_max=${Math.max(...v)}`);
      }
      lines.push(`${key} ${fields.join(',')},samples=${msgs.length} ${BigInt(Math.floor(first / DOWNSAMPLE_WINDOW_MS) * DOWNSAMPLE_WINDOW_MS) * 1_000_000n}`);
    }
  }
  return lines;
}

async function writeLines(influx: InfluxdHandle, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 20_000) {
    const res = await fetch(`${influx.url}/write?db=${DB}&precision=n`, { method: 'POST', body: lines.slice(i, i + 20_000).join('\n') });
    if (!res.ok) throw new Error(`writing the older 5-minute windows: ${res.status} ${await res.text()}`);
  }
}

/** Seconds each listener spent between two readings of the collector's /metrics. */
export function spentSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, s]) => [name, s - (before.get(name) ?? 0)] as const));
}

/** 'overhead computation 1 234 ms (0.5 ms a result), …', the most expensive first. */
export function spentText(spent: Map<string, number>, results: number): string {
  if (spent.size === 0) return 'not served by this build';
  return [...spent]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([name, s]) =>
        `${name} ${Math.round(s * 1000)
          .toLocaleString('en-US')
          .replace(/,/g, ' ')} ms (${sig((s * 1000) / Math.max(1, results), 2)} ms a result)`,
    )
    .join(', ');
}

async function seriesCount(url: string): Promise<number> {
  const res = await fetch(`${url}/query?db=${DB}&q=${encodeURIComponent('SHOW SERIES EXACT CARDINALITY')}`);
  const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: number[][] }> }> };
  return (body.results?.[0]?.series ?? []).reduce((n, s) => n + (s.values[0]?.[0] ?? 0), 0);
}

export async function benchFleet(o: FleetOptions = {}): Promise<BenchSection> {
  const say = o.log ?? ((m: string) => process.stderr.write(`[bench] fleet: ${m}\n`));
  const dist = o.dist ?? join(packageRoot(), 'dist');
  const label = o.label ?? 'this build';
  const repeats = o.repeats ?? 5;
  // With a budget, one run a chunk: the budget is checked between chunks, and a 30-day chunk of
  // the full fleet (120 runs × 1 017 agents) ran past a 15-minute budget for an hour (its first
  // 9 runs took 56 min at load 5-13). --fleet-chunk-days still sets it.
  const chunkDays = o.chunkDays ?? (o.budgetMs ? 0.25 : 30);
  const endMs = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const spec: FleetSpec = {
    // The default scale: minutes on a quiet 2-core machine (--fleet-full: the year of 1 000 guests).
    groups: o.groups ?? 2,
    guestsPerGroup: o.guestsPerGroup ?? 100,
    stacks: 3,
    days: o.days ?? 14,
    trials: 3,
    samplesDays: 29,
    samplesPerRun: 10,
    endMs,
  };
  const runs = fleetRuns(spec);
  const agents = fleetAgents(spec);
  const guests = agents.filter((a) => a.role === 'guest').length;
  const nodeOptions = collectorNodeArgs(dist);
  const notes: string[] = [
    `Load average at the start: ${loadText()} (2 shared cores).`,
    `The collector runs with the node options of its systemd unit (deploy/systemd/virt-overhead-collector.service)${process.env.VO_FLEET_NODE_ARGS ? ' and VO_FLEET_NODE_ARGS' : ''}: ${nodeOptions.join(' ') || '(none)'}.`,
  ];
  const results: BenchResult[] = [];
  const figure = (name: string, value: number, unit: string, goal?: string, met?: boolean) =>
    results.push({ name, value, unit, ...(goal ? { goal } : {}), ...(met !== undefined ? { met } : {}) });
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-fleet-'));
  const influxDir = join(dir, 'influx');
  if (o.dataDir) cpSync(o.dataDir, influxDir, { recursive: true });
  let influx = await startInfluxd({ dir: influxDir });
  const { port, metricsPort } = await collectorPorts();
  const startCollector = () => startCollectorProcess({ dist, port, metricsPort, influxUrl: influx.url, database: DB, logFile: join(dir, 'collector.log') });
  let collector: CollectorProcess | null = null;
  const sim = new Agents(spec);
  const sampler = rssSampler(() => collector);
  try {
    collector = await startCollector();
    await sim.connect(collector.address, watching(collector, influx));
    say(`${agents.length} agents connected to the collector of ${dist} (load ${loadText()})`);

    // The year but its last two runs, a chunk of days at a time, each chunk's work finished before the next.
    const historyRuns = runs - 2;
    let loaded = o.dataDir ? historyRuns : 0;
    if (!o.dataDir) {
      const chunk = Math.max(1, Math.round((chunkDays * 86_400_000) / (6 * 3_600_000)));
      const t0 = performance.now();
      let sentMs = 0;
      let idleMs = 0;
      let resultsSent = 0;
      let records = 0;
      const cpu0 = collector.cpuMs();
      const spent0 = await collector.listenerSeconds();
      while (loaded < historyRuns) {
        const to = Math.min(historyRuns, loaded + chunk);
        const sent = await sim.send(loaded, to);
        sentMs += sent.ms;
        resultsSent += sent.results;
        records += sent.acked;
        idleMs += await waitIdle(influx.url, DB, 6 * 3_600_000);
        loaded = to;
        const elapsed = performance.now() - t0;
        say(
          `loaded ${loaded}/${historyRuns} runs (${Math.round(elapsed / 1000)} s; sending ${Math.round(sentMs / 1000)} s, work after the acks ${Math.round(idleMs / 1000)} s; collector RSS ${Math.round(collector.memory().rss / MB)} MB; load ${loadText()})`,
        );
        if (o.budgetMs && elapsed > o.budgetMs && loaded < historyRuns) break;
      }
      const elapsed = performance.now() - t0;
      const collectorCpu = collector.cpuMs() - cpu0;
      const spent = spentSince(spent0, await collector.listenerSeconds());
      const part = loaded < historyRuns;
      figure(`load: runs of the year passed through the collector${part ? ' (budget reached: the rest not loaded)' : ''}`, loaded, `of ${historyRuns}`);
      figure('load: results per second through the collector, acks and all work after them', Math.round(resultsSent / (elapsed / 1000)), 'results/s');
      figure('load: wall time', Math.round(elapsed / 1000), 's');
      if (part)
        figure(
          'load: projected wall time for the whole year at the measured rate (a lower bound: later runs meet longer series)',
          Math.round((elapsed / 1000) * (historyRuns / loaded)),
          's',
        );
      notes.push(
        `Load: ${resultsSent} results (${records} records with samples and heartbeats) of ${loaded} runs per agent in ${Math.round(elapsed / 1000)} s: ${Math.round(sentMs / 1000)} s until acked, ${Math.round(idleMs / 1000)} s more until the collector's work after the acks was done; collector CPU ${Math.round(collectorCpu / 1000)} s (${sig(collectorCpu / Math.max(1, resultsSent), 3)} ms per result).`,
        `Load: the work after the acks by calculator (wall, /metrics after_write_seconds_total): ${spentText(spent, resultsSent)}.`,
      );
      say('writing the 5-minute windows older than the samples policy');
      await writeLines(influx, olderWindows(spec, agents, loaded));
      if (o.keepDir) {
        await collector.stop();
        collector = null;
        await influx.stop();
        rmSync(o.keepDir, { recursive: true, force: true });
        cpSync(influxDir, o.keepDir, { recursive: true });
        say(`kept the loaded year in ${o.keepDir}`);
        influx = await startInfluxd({ dir: influxDir });
        collector = await startCollector();
        await sim.connect(collector.address, watching(collector, influx));
        await waitIdle(influx.url, DB, 3_600_000);
      }
    }
    if (!collector) throw new Error('no collector running');

    // What the collector does every 6 hours, measured warm and then right after a restart.
    const groupGuests = agents.filter((a) => a.group === agents[0]!.group && a.role === 'guest').map((a) => a.id);
    const baseline = agents[0]!.id;
    const rest = agents.filter((a) => a.group !== agents[0]!.group).map((a) => a.id);
    const step = async (what: string, run: number, only: string[]) => {
      const c = collector!;
      const cpu0 = c.cpuMs();
      const spent0 = await c.listenerSeconds();
      const t0 = performance.now();
      const sent = await sim.send(run, run + 1, only);
      const idle = await waitIdle(influx.url, DB, 3_600_000);
      const total = performance.now() - t0;
      notes.push(`${what}: the work after the acks by calculator: ${spentText(spentSince(spent0, await c.listenerSeconds()), sent.results)}.`);
      const mem = c.memory();
      say(
        `${what}: acked in ${Math.round(sent.ms)} ms, done in ${Math.round(total)} ms, collector CPU ${Math.round(c.cpuMs() - cpu0)} ms, RSS ${Math.round(mem.rss / MB)} MB`,
      );
      return { ackMs: sent.ms, totalMs: total, idleMs: idle, cpuMs: c.cpuMs() - cpu0, rss: mem.rss };
    };
    const tick = async (run: number, when: string) => {
      const g = await step(`${when}: one guest batch (${groupGuests.length} guests of a group)`, run, groupGuests);
      const b = await step(`${when}: the group's baseline run`, run, [baseline]);
      const f = await step(`${when}: the rest of the fleet's run`, run, rest);
      figure(`${when}: one guest batch (${groupGuests.length} guests' runs of one group): acked → all work done`, Math.round(g.totalMs), 'ms');
      figure(
        `${when}: one baseline run of a ${groupGuests.length}-guest group: acked → all work done`,
        Math.round(b.totalMs),
        'ms',
        '≤ 10 000',
        b.totalMs <= 10_000,
      );
      figure(`${when}: the rest of the fleet's runs (${rest.length} agents, one 6-hourly tick): acked → all work done`, Math.round(f.totalMs), 'ms');
      figure(`${when}: collector CPU for the whole tick`, Math.round(g.cpuMs + b.cpuMs + f.cpuMs), 'ms');
    };
    // After a partial load (--fleet-budget) the next two runs of the loaded part, so the windows hold their history.
    const [warmRun, coldRun] = loaded < historyRuns ? [loaded, loaded + 1] : [runs - 2, runs - 1];
    await tick(warmRun, 'warm');

    // A restart: SIGTERM (as systemd stops it), start again, agents reconnect; then the next tick, cold.
    const r0 = performance.now();
    await collector.stop();
    collector = null;
    const stopMs = performance.now() - r0;
    const s0 = performance.now();
    collector = await startCollector();
    const startMs = performance.now() - s0;
    await sim.connect(collector.address, watching(collector, influx));
    const catchUpMs = await waitIdle(influx.url, DB, 3_600_000);
    const restartRss = collector.memory().rss;
    figure('restart: SIGTERM → exited', Math.round(stopMs), 'ms');
    figure('restart: start → listening', Math.round(startMs), 'ms');
    figure('restart: agents reconnected → no work owed', Math.round(catchUpMs), 'ms');
    figure('restart: collector resident memory after the restart', Math.round(restartRss / MB), 'MB');
    await tick(coldRun, 'after the restart');
    const peak = Math.max(sampler.peak(), collector.memory().peak);
    figure(`collector resident memory, peak over the whole run (${guests} guests)`, Math.round(peak / MB), 'MB', '≤ 500', peak <= 500 * MB);

    // What users run against the year (not against a part of it: those times would mean nothing).
    const rangeEnd = Date.now();
    const year = 365 * 86_400_000;
    if (loaded < historyRuns) notes.push('Dashboards and reports not measured: the year was not loaded within the budget.');
    else
      for (const q of await dashboardQueries(join(dist, '..', 'grafana', 'dashboards', 'json'), influx.url, DB)) {
        for (const [range, ms, goalMs] of [
          ['default range', q.defaultMs, 1000],
          ['a year', year, 2000],
        ] as const) {
          if (range === 'a year' && q.defaultMs >= year) continue;
          const sql = panelSql(q, lastRange(rangeEnd, ms));
          const t: Timing = await timeRepeated(() => influxRows(influx.url, DB, sql), repeats);
          const over = rangeName(range, ms);
          figure(
            `${q.dashboard} ${q.name}, ${over}: p95 of ${t.times.length} (${t.rows} rows; ${t.spread})`,
            Math.round(t.p95),
            'ms',
            `≤ ${goalMs.toLocaleString('en-US').replace(',', ' ')}`,
            t.p95 <= goalMs,
          );
          say(`${q.dashboard} ${q.name}, ${range}: ${Math.round(t.p95)} ms (${t.rows} rows)`);
        }
      }
    const cli = (args: string[]) => () => runCli(dist, ['report', '--influx', influx.url, '--database', DB, ...args]);
    if (loaded >= historyRuns)
      for (const [name, args, goalMs] of [
        ['report (default --since 7d)', [], undefined],
        ['report --since 365d', ['--since', '365d'], 2000],
        ['report --changes (default --since)', ['--changes'], undefined],
        ['report --changes --since 365d', ['--changes', '--since', '365d'], 2000],
        // Every tenth guest of a group is 'patched' (fleet-model.ts): a group of fewer has none to compare.
        ...(spec.guestsPerGroup >= 10
          ? ([
              [
                `report --compare stock,patched --group ${agents[0]!.group} --since 365d`,
                ['--compare', 'stock,patched', '--group', agents[0]!.group, '--since', '365d'],
                undefined,
              ],
            ] as const)
          : []),
      ] as const) {
        const t = await timeRepeated(cli([...args]), Math.min(repeats, 3), 10_000, false);
        figure(
          `${name}, a fresh process each time: p95 of ${t.times.length} (${t.rows} bytes printed; ${t.spread})`,
          Math.round(t.p95),
          'ms',
          goalMs ? `≤ ${goalMs.toLocaleString('en-US').replace(',', ' ')}` : undefined,
          goalMs ? t.p95 <= goalMs : undefined,
        );
        say(`${name}: ${Math.round(t.p95)} ms`);
      }
    const nodeStart = await timeRepeated(() => runCli(dist, ['--help']), 3, 10_000, false);
    notes.push(
      `A fresh \`virt-overhead --help\` takes ${Math.round(nodeStart.p95)} ms here (node's start and the CLI's imports): part of every report time above.`,
    );

    // Footprint.
    await collector.stop();
    collector = null;
    const series = await seriesCount(influx.url);
    await influx.stop();
    const data = diskBytes(join(influxDir, 'data'));
    const wal = diskBytes(join(influxDir, 'wal'));
    const years = (loaded / runs) * (spec.days / 365);
    figure(
      `InfluxDB disk per guest-year (data ${Math.round(data / MB)} MB + WAL ${Math.round(wal / MB)} MB, ${agents.length} agents, ${sig(years, 3)} years loaded; before compaction settles)`,
      sig((data + wal) / MB / (agents.length * years), 3),
      'MB',
    );
    figure('series in InfluxDB (SHOW SERIES EXACT CARDINALITY)', series, 'series');
    notes.push(`Load average at the end: ${loadText()}.`);
  } catch (err) {
    // What the collector said is the first thing to read when a run fails.
    say(`failed; the collector's log is in ${keepCollectorLog(dir, 'fleet')}`);
    throw err;
  } finally {
    await tearDownFleetRun({ sampler, sim, collector, influx, dir });
  }
  return {
    title: `A fleet through one collector: ${guests} guests for ${spec.days} days (${label})`,
    method:
      `${spec.groups} groups of ${spec.guestsPerGroup} guests and their native baseline, and ${spec.stacks} nested stacks (native → L1 → L2) in a group of their own: ${agents.length} agents, ${runs} runs each (${spec.days} days of 6-hourly runs ending now; bench/fleet-model.ts). ` +
      `Each run: sysbench cpu, ${spec.trials} trials, every field a real sysbench 1.0.20 cpu output prints (test/fixtures, parsed by the agent's parser) scaled by the guest's speed, with noise drawn from recorded runs (run factor and trial factor, bench/data/cpu-trials.json), slow drift, and a shift of 5–20 % in a third of the guests; a heartbeat; for the last ${spec.samplesDays} days ${spec.samplesPerRun} interval samples. ` +
      `Compressed: one test of five (cpu; the others would multiply results, overhead points and series by up to 5), interval samples of the first trial only. ` +
      `All of it is sent by real gRPC agents (bench/fleet-agents.ts, one connection each, in their own process) to \`virt-overhead collector\` of the build under test (${label}) as its own process, run by run across the fleet (every agent's run i acknowledged before run i+1 goes), ${chunkDays} days at a time, each chunk's work after the acks (overhead, nested stacks, change points: no overhead_owed marker left) finished before the next. ` +
      'The 5-minute windows of runs older than the samples policy are written directly, as the continuous query made them at the time. ' +
      `Then the last two runs of the year are sent step by step: ${'one group’s guests, that group’s baseline, the rest of the fleet'}, once warm and once after a restart; every query of the build's committed dashboards at the dashboard's default range and over a year (every variable on All), ${repeats} times after a warm-up; the build's \`virt-overhead report\` as a fresh process.`,
    results,
    notes,
  };
}

runIfMain(import.meta.url, 'fleet', (argv) => benchFleet(fleetOptionsFromArgv(argv)));
