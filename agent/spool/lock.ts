// One agent per spool. Two agents appending to one work directory interleave segments and
// acks and lose results, so the spool is locked for as long as the agent runs. The lock is a
// Linux abstract-namespace socket named after the spool's real path: binding it is atomic, it
// is released by the kernel when the process dies (no stale lock after a crash or SIGKILL), and
// it needs no write access (a read-only spool can still be locked and drained). `lock` in the
// folder only tells the second agent who holds it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { UsageError } from '../../lib/errors.js';

export interface SpoolLock {
  release(): void;
}

export function spoolLockName(dir: string): string {
  return `\0virt-overhead-spool-${createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 32)}`;
}

/** Takes the spool's lock, or throws a UsageError naming the agent that holds it. */
export async function lockSpool(dir: string): Promise<SpoolLock> {
  mkdirSync(dir, { recursive: true });
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      let holder = 'another process';
      try {
        const info = JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')) as { pid?: number; since?: string };
        holder = `agent pid ${info.pid} (since ${info.since})`;
      } catch {
        /* the holder could not write its note (read-only disk): say less */
      }
      reject(new UsageError(`the spool ${dir} is in use by ${holder}: two agents must not share a work directory; give each its own --workdir`));
    });
    server.listen({ path: spoolLockName(dir) }, () => resolve());
  });
  server.unref();
  try {
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.pid, since: new Date().toISOString() }) + '\n');
  } catch {
    /* a note only; the socket is the lock */
  }
  return { release: () => server.close() };
}
