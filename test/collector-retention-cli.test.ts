// The retention options as an operator passes them to the collector command: a bad duration is a
// usage error naming the option; changed durations are applied at the next start and logged,
// and SHOW RETENTION POLICIES shows them (docs/schema.md "Retention").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../collector/influx/influxd.js';
import { query, startCollectorProc, stopProc } from './support/procs.js';
import { runCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-retention-cli-'));
let influxd: InfluxdHandle;

beforeAll(async () => {
  influxd = await startInfluxd({ dir });
}, 60_000);

afterAll(async () => {
  await influxd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const policies = async () => (await query(influxd.url, 'SHOW RETENTION POLICIES')).map((r) => [r.name, r.duration, r.default]);

describe('collector retention options', () => {
  it('a duration below an hour is refused before anything is contacted, naming the option', async () => {
    const r = await runCli(['collector', '--influx', influxd.url, '--samples-retention', '30m']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--samples-retention: '30m' is not a retention duration/);
  });

  it('the first start creates samples (30 days); a restart with --samples-retention 7d ALTERs it and says so', async () => {
    const first = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', influxd.url]);
    await stopProc(first);
    expect(await policies()).toEqual([
      ['autogen', '0s', true],
      ['samples', '720h0m0s', false],
    ]);
    const second = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', influxd.url, '--samples-retention', '7d']);
    const log = second.stderr();
    await stopProc(second);
    expect(log).toMatch(/"msg":"retention policy samples: duration changed from 720h0m0s to 7d"/);
    expect(await policies()).toEqual([
      ['autogen', '0s', true],
      ['samples', '168h0m0s', false],
    ]);
  }, 120_000);
});
