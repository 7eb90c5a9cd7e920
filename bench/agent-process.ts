// Runs the real, built agent (dist/cli/main.js agent ...) as its own process, the way users
// run it, and lets a benchmark wait for a line of its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';

export const MAIN = join(packageRoot(), 'dist', 'cli', 'main.js');

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  log(): string;
  /** Resolves when the agent's log contains `text`; rejects on exit or timeout. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  exited: Promise<number | null>;
  /** SIGTERM by pid, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export function startAgent(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, [MAIN, 'agent', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const l of listeners) l();
  });
  return {
    child,
    pid: child.pid!,
    log: () => text,
    waitFor(needle, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`agent (pid ${child.pid}) did not log '${needle}' within ${timeoutMs} ms; log tail:\n${text.slice(-2000)}`)),
          timeoutMs,
        );
        const check = () => {
          if (text.includes(needle)) finish();
          else if (done) finish(new Error(`agent (pid ${child.pid}) exited before logging '${needle}'; log tail:\n${text.slice(-2000)}`));
        };
        const finish = (err?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
    exited,
    async stop() {
      if (done) return;
      process.kill(child.pid!, 'SIGTERM');
      const killer = setTimeout(() => !done && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
