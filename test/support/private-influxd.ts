// Test support: a private influxd (temp dir, free loopback port) with one database, started
// before the file's tests and stopped by pid after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../collector/influx/influxd.js';
import { influxStore } from '../../collector/store/influx.js';
import type { Store } from '../../collector/store/store.js';

export interface PrivateInfluxd {
  influx: InfluxDB;
  /** The store the calculators use, on this influxd's database. */
  store: Store;
  url: string;
}

/** Registers beforeAll/afterAll; the returned object is filled in once beforeAll ran. */
export function usePrivateInfluxd(database: string): PrivateInfluxd {
  const out = {} as PrivateInfluxd;
  let influxd: InfluxdHandle | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${database}-`));
    influxd = await startInfluxd({ dir });
    out.influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database });
    out.url = `http://127.0.0.1:${influxd.port}`;
    out.store = influxStore({ url: out.url, database });
    await out.influx.createDatabase(database);
  });
  afterAll(async () => {
    await influxd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return out;
}
