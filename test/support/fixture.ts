// One temp folder and one private influxd per test file, and the processes a test started,
// stopped by pid after the file's tests (then the folder is removed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../collector/influx/influxd.js';
import { stopProc, type Proc } from './procs.js';

export interface InfluxdFixture {
  dir: string;
  p(name: string): string;
  procs: Proc[];
  readonly influxd: InfluxdHandle;
}

export function influxdFixture(prefix: string): InfluxdFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const procs: Proc[] = [];
  let influxd: InfluxdHandle | undefined;
  beforeAll(async () => {
    influxd = await startInfluxd({ dir: join(dir, 'influx') });
  });
  afterAll(async () => {
    for (const x of procs) await stopProc(x);
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    p: (name) => join(dir, name),
    procs,
    get influxd() {
      if (!influxd) throw new Error('influxdFixture: used before beforeAll ran');
      return influxd;
    },
  };
}
