import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { killChild, stopChild } from './child.js';

/** A shell that says when it is ready, so a signal cannot arrive before its trap is set. */
function shell(script: string) {
  const child = spawn('sh', ['-c', `${script}; echo ready; exec sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  return { child, ready };
}

describe('stopping a child by its pid', () => {
  it('SIGTERM is enough for a child that honours it', async () => {
    const { child, ready } = shell('true');
    await ready;
    await stopChild(child, 30_000);
    expect(child.signalCode).toBe('SIGTERM');
  });

  it('a child that ignores SIGTERM is killed once the wait is over', async () => {
    const { child, ready } = shell("trap '' TERM");
    await ready;
    await stopChild(child, 200);
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('a child that has exited is left alone', async () => {
    const child = spawn('true');
    await new Promise((r) => child.once('exit', r));
    await stopChild(child, 10);
    await killChild(child);
    expect(child.exitCode).toBe(0);
  });
});
