// Real processes for the fault-injection tests: the built collector (dist/cli/main.js), the
// load agent and the append loop (plain .mjs over dist/), and InfluxDB queries for the counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { influxClient } from '../../collector/influx/client.js';
import { MAIN } from './cli.js';
import { measurementRef } from '../../schema/retention.js';

export const HERE = import.meta.dirname;

export interface Proc {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout has a line matching re; returns the match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The same on stderr (where the collector logs). */
  waitForErr(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  signal(sig: NodeJS.Signals): void;
}

export function spawnProc(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  // 'close', not 'exit': it comes once stdout and stderr are read to their end, so a line the
  // process printed just before it exited is already in out/err (on a loaded machine 'exit' can
  // come first).
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  const waitOn = (text: () => string, re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> => {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = text().match(re);
        if (m) {
          listeners.delete(check);
          clearTimeout(t);
          resolve(m);
        } else if (closed) {
          listeners.delete(check);
          clearTimeout(t);
          reject(new Error(`process ${args.join(' ').slice(0, 120)} exited before printing ${re}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-3000)}`));
        }
      };
      const t = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${re}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-3000)}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  };
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (re, timeoutMs) => waitOn(() => out, re, timeoutMs),
    waitForErr: (re, timeoutMs) => waitOn(() => err, re, timeoutMs),
    signal(sig) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, sig);
    },
  };
}

/** Stops a process by its pid: SIGTERM, then SIGKILL if it has not gone after 10 s. */
export async function stopProc(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.signal('SIGTERM');
  const t = setTimeout(() => p.signal('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(t);
}

export interface CollectorProc extends Proc {
  address: string;
  port: number;
}

/** The real collector command; resolves once it printed its address. */
export async function startCollectorProc(args: string[]): Promise<CollectorProc> {
  const p = spawnProc([MAIN, 'collector', '--log-level', 'info', ...args]);
  // No speed limit of its own: at load 23 a start took over 30 s (the test's own limit bounds it).
  const m = await p.waitFor(/listening on (\S+):(\d+)/, 120_000);
  return { ...p, address: `${m[1]}:${m[2]}`, port: Number(m[2]) };
}

export interface LoadAgentOptions {
  collector: string;
  spoolDir: string;
  agentId: string;
  count: number;
  group?: string;
  role?: string;
  variant?: string;
  hostname?: string;
  everyMs?: number;
  batch?: number;
  statsEveryMs?: number;
  resultEvery?: number;
  tokenFile?: string;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string };
  backoffBaseMs?: number;
  spoolMax?: number;
  exitWhenDrained?: boolean;
  baseNs?: string;
  window?: number;
}

export function startLoadAgent(o: LoadAgentOptions): Proc {
  return spawnProc([join(HERE, 'load-agent.mjs'), JSON.stringify(o)]);
}

/**
 * The baseline a burst is computed against: 20 results of one run from `<group>-native`, resolved
 * once every one is acked.
 */
export async function drainedBaseline(collector: string, spoolDir: string, group: string, procs: Proc[]): Promise<void> {
  const base = startLoadAgent({
    collector,
    spoolDir,
    agentId: `${group}-native`,
    group,
    role: 'baseline',
    count: 20,
    resultEvery: 1,
    batch: 20,
    exitWhenDrained: true,
  });
  procs.push(base);
  await base.waitFor(/"event":"drained"/);
}

/** A guest `<group>-guest` sending `count` results of one run in batches of 500; it exits once every one is acked ("drained"). */
export function startGuestBurst(collector: string, spoolDir: string, group: string, count: number, procs: Proc[]): Proc {
  const guest = startLoadAgent({
    collector,
    spoolDir,
    agentId: `${group}-guest`,
    group,
    role: 'guest',
    count,
    resultEvery: 1,
    batch: 500,
    exitWhenDrained: true,
  });
  procs.push(guest);
  return guest;
}

/** The ids the load agent produces for count records (worked out here, not by the agent). */
export function loadIds(agentId: string, count: number, resultEvery = 10): { results: string[]; samples: string[] } {
  const results: string[] = [];
  const samples: string[] = [];
  for (let i = 0; i < count; i++) {
    if (resultEvery > 0 && i % resultEvery === 0) results.push(`${agentId}:load:r${i}`);
    else samples.push(`${agentId}:load:s${i}`);
  }
  return { results, samples };
}

export type Row = Record<string, unknown>;

export async function query(url: string, q: string, database = 'virt_overhead'): Promise<Row[]> {
  return (await influxClient(url, database).query(q)) as unknown as Row[];
}

/** Every id of one agent in a measurement, as stored (one entry per point). */
export async function storedIds(url: string, measurement: 'sysbench' | 'sysbench_interval', agent: string): Promise<string[]> {
  const field = measurement === 'sysbench' ? 'result_id' : 'sample_id';
  const rows = await query(url, `SELECT "${field}" FROM ${measurementRef(measurement)} WHERE "agent" = '${agent.replace(/'/g, "\\'")}'`);
  return rows.map((r) => String(r[field]));
}

/** Sent vs stored: how many of the expected ids are missing, duplicated, or unexpected. */
export function compareIds(expected: string[], stored: string[]): { expected: number; stored: number; lost: number; duplicated: number; unexpected: number } {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const id of stored) seen.set(id, (seen.get(id) ?? 0) + 1);
  let lost = 0;
  for (const id of want) if (!seen.has(id)) lost++;
  let duplicated = 0;
  let unexpected = 0;
  for (const [id, n] of seen) {
    if (n > 1) duplicated += n - 1;
    if (!want.has(id)) unexpected++;
  }
  return { expected: want.size, stored: stored.length, lost, duplicated, unexpected };
}

export function lastJson(p: Proc, event: string): Record<string, unknown> | undefined {
  const lines = p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    const o = JSON.parse(lines[i]!) as Record<string, unknown>;
    if (o.event === event) return o;
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The state letter and parent pid of a /proc stat line (the name in parentheses may hold anything). */
function statOf(path: string): { name: string; state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  const close = text.lastIndexOf(')');
  const [state = '', ppid = ''] = text.slice(close + 2).split(' ');
  return { name: text.slice(text.indexOf('(') + 1, close), state, ppid: Number(ppid) };
}

/**
 * Runs `f` while process `pid` is stopped (SIGSTOP), then continues it. It waits until every
 * thread is seen stopped: a thread stops only when its system call returns, so when `f` runs,
 * none of the process's writes or fsyncs is in flight.
 */
export async function whileStopped<T>(pid: number, f: () => T): Promise<T> {
  process.kill(pid, 'SIGSTOP');
  try {
    const stopped = () => readdirSync(`/proc/${pid}/task`).every((t) => ['T', 't', undefined].includes(statOf(`/proc/${pid}/task/${t}/stat`)?.state));
    while (!stopped()) await sleep(5);
    return f();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** The pids of the running children of `pid` named `name` (their command name, as /proc gives it). */
export function childrenNamed(pid: number, name: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      const s = statOf(`/proc/${d}/stat`);
      return s?.ppid === pid && s.name === name && s.state !== 'Z';
    })
    .map(Number);
}
