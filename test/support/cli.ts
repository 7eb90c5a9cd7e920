// Runs the built program (dist/cli/main.js) as a real process, the way users run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../lib/root.js';

export const MAIN = join(packageRoot(), 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** One `agent --once` run into a collector, as the end-to-end tests start their agents. */
export interface OnceAgent {
  collector: string;
  workdir: string;
  /** The agent's own defaults where left out. */
  agentId?: string;
  group?: string;
  tests?: string;
  role?: string;
  trials?: number;
  profile?: string;
  /** Options after the common ones (--variant, --parent, --declare …). */
  extra?: readonly string[];
}

export function onceAgentArgs(a: OnceAgent): string[] {
  const optional = (flag: string, value: string | undefined) => (value === undefined ? [] : [flag, value]);
  return [
    'agent',
    '--collector',
    a.collector,
    '--once',
    '--profile',
    a.profile ?? 'quick',
    '--trials',
    String(a.trials ?? 1),
    '--workdir',
    a.workdir,
    ...optional('--tests', a.tests),
    ...optional('--agent-id', a.agentId),
    ...optional('--role', a.role),
    ...optional('--group', a.group),
    ...(a.extra ?? []),
  ];
}

export interface CollectorCli {
  /** The gRPC address it printed ("listening on …"). */
  address: string;
  pid: number;
  /** SIGTERM; resolves with everything it printed once it exited. */
  stop(): Promise<CliResult>;
}

/**
 * The `collector` command with `args`, resolved once it printed its address; rejects with its
 * exit code and stderr if it exits first (a refused start is what some tests check).
 */
export async function startCollectorCli(args: string[]): Promise<CollectorCli> {
  const { child, done } = startCli(['collector', ...args]);
  let out = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void done.then((r) => reject(new Error(`collector exited ${r.code}: ${r.stderr}`)));
  });
  return {
    address,
    pid: child.pid!,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      return done;
    },
  };
}
