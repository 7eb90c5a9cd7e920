// One temp folder and one private influxd per test file (free loopback port, its own folder
// under the temp folder), and the processes a test started: all stopped by pid after the file's
// tests, then the folder is removed. The one place a test gets an influxd from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startInfluxd, type InfluxdHandle, type InfluxdOptions } from '../../collector/influx/influxd.js';
import { stopProc, type Proc } from './procs.js';

/** How influxd starts: auth, TLS, INFLUXDB_* env limits. Its folder and port are the fixture's. */
export type InfluxdStart = Omit<InfluxdOptions, 'dir' | 'port'>;

export interface InfluxdFixture {
  dir: string;
  p(name: string): string;
  procs: Proc[];
  /** The file's influxd (the latest after restart). */
  readonly influxd: InfluxdHandle;
  /**
   * Stops the current influxd (if still running) and starts one on its port: on the same data,
   * or in `sub` (a folder under dir) with other settings. It becomes `influxd`.
   */
  restart(opts?: InfluxdStart & { sub?: string }): Promise<InfluxdHandle>;
  /** Another influxd in `sub` under dir, on its own port; stopped after the file's tests. */
  another(sub: string, opts?: InfluxdStart): Promise<InfluxdHandle>;
}

/**
 * `start` gives influxd's settings; a function is called when the fixture starts, after the hooks
 * registered before it (so a file can make certificates first). Register it at the top of the
 * file: its beforeAll runs before the file's own, its afterAll after (vitest's hook stack).
 */
export function influxdFixture(prefix: string, start: InfluxdStart | (() => InfluxdStart | Promise<InfluxdStart>) = {}): InfluxdFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const procs: Proc[] = [];
  const started: InfluxdHandle[] = [];
  let influxd: InfluxdHandle | undefined;
  const launch = async (opts: InfluxdOptions) => {
    const h = await startInfluxd(opts);
    started.push(h);
    return h;
  };
  beforeAll(async () => {
    influxd = await launch({ ...(typeof start === 'function' ? await start() : start), dir: join(dir, 'influx') });
  });
  afterAll(async () => {
    for (const x of procs) await stopProc(x);
    for (const h of started) await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const current = () => {
    if (!influxd) throw new Error('influxdFixture: used before beforeAll ran');
    return influxd;
  };
  return {
    dir,
    p: (name) => join(dir, name),
    procs,
    get influxd() {
      return current();
    },
    async restart({ sub, ...opts } = {}) {
      const old = current();
      await old.stop();
      influxd = await launch({ ...opts, dir: sub ? join(dir, sub) : old.dir, port: old.port });
      return influxd;
    },
    another: (sub, opts = {}) => launch({ ...opts, dir: join(dir, sub) }),
  };
}
