// Test support: the file's private influxd (test/support/fixture.ts: temp dir, free loopback
// port, stopped by pid) with one database made, and a client and the calculators' store on it.
import { InfluxDB } from 'influx';
import { beforeAll } from 'vitest';
import { influxStore } from '../../collector/store/influx.js';
import type { Store } from '../../collector/store/store.js';
import { influxdFixture } from './fixture.js';

export interface PrivateInfluxd {
  influx: InfluxDB;
  /** The store the calculators use, on this influxd's database. */
  store: Store;
  url: string;
}

/** Registers beforeAll (after the fixture's); the returned object is filled in once it ran. */
export function usePrivateInfluxd(database: string): PrivateInfluxd {
  const fx = influxdFixture(`${database}-`);
  const out = {} as PrivateInfluxd;
  beforeAll(async () => {
    out.url = fx.influxd.url;
    out.influx = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database });
    out.store = influxStore({ url: out.url, database });
    await out.influx.createDatabase(database);
  });
  return out;
}
