// Stopping a child process we started, by its pid: SIGTERM, then SIGKILL if it has not exited in
// time. One copy for the private influxd and the benchmark's collector process.
import type { ChildProcess } from 'node:child_process';

/** Resolves true once the child has exited, false after `ms` if it has not. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** SIGTERM, and SIGKILL when it is still running after `termMs`. */
export async function stopChild(child: ChildProcess, termMs: number): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  process.kill(child.pid, 'SIGTERM');
  if (!(await waitExit(child, termMs))) await killChild(child);
}

/** SIGKILL, and wait (5 s at most) for the exit to be seen. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  process.kill(child.pid, 'SIGKILL');
  await waitExit(child, 5_000);
}
