// The collector under test in the fleet benchmark: `virt-overhead collector` of any build (a
// dist/ directory, e.g. one built from an older commit in another worktree) as its own process,
// so its memory (VmRSS, VmHWM) and CPU are its own and the command line is the one users run.
// "Idle" means InfluxDB holds no `overhead_owed` marker: every result the collector acked has had
// its overhead, nested-stack and change-point work done (collector/owed-markers.ts) — the one
// sign of finished work that every build since the markers exists gives from outside.
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { cpuMs } from './proc.js';
import { killChild, stopChild } from '../lib/child.js';

export interface CollectorProcess {
  pid: number;
  address: string;
  /** Resident memory now and at its peak (VmHWM), bytes. */
  memory(): { rss: number; peak: number };
  cpuMs(): number;
  /** SIGTERM, as systemd stops it; resolves when it exited (SIGKILL after timeoutMs). */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /**
   * Wall seconds each after-write listener spent since the collector started, by name, from its
   * /metrics (empty for a build that does not serve them).
   */
  listenerSeconds(): Promise<Map<string, number>>;
}

export interface CollectorProcessOptions {
  /** A dist/ directory holding cli/main.js. */
  dist: string;
  port: number;
  influxUrl: string;
  database: string;
  logFile: string;
  /** Where its /metrics listens (--metrics-listen 127.0.0.1:PORT); none: not served. */
  metricsPort?: number;
  /**
   * 'lifted' (default): a simulated year arrives in minutes, and the per-agent rate limits would
   * pace it by design; 'deployed': the collector's own defaults, as an operator's collector runs.
   */
  limits?: 'lifted' | 'deployed';
  extraArgs?: string[];
}

const AFTER_WRITE = /^virt_overhead_collector_after_write_seconds_total\{listener="([^"]*)"\} (\S+)$/gm;

/** The after-write seconds by listener in a /metrics text. */
export function listenerSecondsOf(text: string): Map<string, number> {
  return new Map([...text.matchAll(AFTER_WRITE)].map((m) => [m[1]!, Number(m[2])] as const));
}

function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * NODE_OPTIONS of the collector's systemd unit in the build's tree (deploy/, the one place an
 * operator's collector gets them): the bench measures the collector as deployed. None for a
 * build whose unit sets none.
 */
export function deployedNodeOptions(root: string): string[] {
  let unit: string;
  try {
    unit = readFileSync(join(root, 'deploy', 'systemd', 'virt-overhead-collector.service'), 'utf8');
  } catch {
    return [];
  }
  const m = /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * The node options the collector under test runs with: its build's systemd unit's (the heap cap),
 * then VO_FLEET_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" to profile it or override them (a later
 * --max-old-space-size wins).
 */
export function collectorNodeArgs(dist: string): string[] {
  return [...deployedNodeOptions(join(dist, '..')), ...(process.env.VO_FLEET_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/** Starts the collector and resolves once its gRPC port accepts connections. */
export async function startCollectorProcess(o: CollectorProcessOptions): Promise<CollectorProcess> {
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const args = [
    join(o.dist, 'cli', 'main.js'),
    'collector',
    '--listen',
    `127.0.0.1:${o.port}`,
    '--influx',
    o.influxUrl,
    '--database',
    o.database,
    ...(o.limits === 'deployed' ? [] : ['--rate-limit', '1000000', '--result-rate', '1000000']),
    '--log-level',
    'warn',
    ...(o.metricsPort ? ['--metrics-listen', `127.0.0.1:${o.metricsPort}`] : []),
    ...(o.extraArgs ?? []),
  ];
  const nodeArgs = collectorNodeArgs(o.dist);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited = false;
  child.once('exit', (code, signal) => {
    exited = true;
    log.write(`[bench] the collector (pid ${child.pid}) exited: code ${code}, signal ${signal}\n`);
  });
  const deadline = Date.now() + 120_000;
  while (!(await portOpen(o.port))) {
    if (exited) throw new Error(`the collector (${o.dist}) exited during start-up; see ${o.logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the collector did not listen on port ${o.port} within 120 s; see ${o.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    pid,
    address: `127.0.0.1:${o.port}`,
    memory: () => ({ rss: statusKb(pid, 'VmRSS'), peak: statusKb(pid, 'VmHWM') }),
    cpuMs: () => cpuMs(pid),
    async stop(timeoutMs = 60_000) {
      await stopChild(child, timeoutMs);
    },
    async kill() {
      await killChild(child);
    },
    async listenerSeconds() {
      if (!o.metricsPort) return new Map();
      const res = await fetch(`http://127.0.0.1:${o.metricsPort}/metrics`);
      return listenerSecondsOf(await res.text());
    },
  };
}

/** Owed markers InfluxDB holds (0: the collector has done the work of everything it acked). */
export async function owedMarkers(influxUrl: string, database: string): Promise<number> {
  const res = await fetch(`${influxUrl}/query?db=${encodeURIComponent(database)}&q=${encodeURIComponent('SELECT count("results") FROM "overhead_owed"')}`);
  const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: number[][] }> }> };
  return body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0;
}

/**
 * Waits until no marker is left, twice 100 ms apart (a batch written between two polls leaves
 * one). Returns the time waited; throws after timeoutMs with the markers left.
 */
export async function waitIdle(influxUrl: string, database: string, timeoutMs: number, onTick?: () => void): Promise<number> {
  const t0 = performance.now();
  let zeros = 0;
  for (;;) {
    const n = await owedMarkers(influxUrl, database);
    zeros = n === 0 ? zeros + 1 : 0;
    if (zeros >= 2) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`the collector still owes the work of ${n} batches after ${Math.round(timeoutMs / 1000)} s`);
    onTick?.();
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The peak VmRSS of whichever collector process `current()` names, read every 500 ms (across its stops and starts). */
export function rssSampler(current: () => CollectorProcess | null): { peak(): number; reset(): void; stop(): void } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const c = current();
      if (c) peak = Math.max(peak, c.memory().rss);
    } catch {
      /* between a stop and a start */
    }
  }, 500);
  return { peak: () => peak, reset: () => (peak = 0), stop: () => clearInterval(timer) };
}

/** After a failed run: the collector's log, copied out of the run's directory before that goes; returns where. */
export function keepCollectorLog(dir: string, name: string): string {
  const kept = join(tmpdir(), `${name}-collector-${Date.now()}.log`);
  cpSync(join(dir, 'collector.log'), kept);
  return kept;
}

/** What a fleet run started, stopped in this order whatever happened: the sampler, the agents, the collector (by pid), InfluxDB; then its directory goes. */
export async function tearDownFleetRun(run: {
  sampler: { stop(): void };
  sim: { close(): void };
  collector: CollectorProcess | null;
  influx: { stop(): Promise<void> };
  dir: string;
}): Promise<void> {
  run.sampler.stop();
  run.sim.close();
  await run.collector?.kill();
  await run.influx.stop();
  rmSync(run.dir, { recursive: true, force: true });
}
