// The retention options as an operator passes them to the collector command: a bad duration is a
// usage error naming the option; changed durations are applied at the next start and logged,
// and SHOW RETENTION POLICIES shows them (docs/schema.md "Retention").
import { describe, expect, it } from 'vitest';
import { influxdFixture } from './support/fixture.js';
import { query, startCollectorProc, stopProc } from './support/procs.js';
import { runCli } from './support/cli.js';

const fx = influxdFixture('vo-retention-cli-');

const policies = async () => (await query(fx.influxd.url, 'SHOW RETENTION POLICIES')).map((r) => [r.name, r.duration, r.default]);

describe('collector retention options', () => {
  it('a duration below an hour is refused before anything is contacted, naming the option', async () => {
    const r = await runCli(['collector', '--influx', fx.influxd.url, '--samples-retention', '30m']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--samples-retention: '30m' is not a retention duration/);
  });

  it('the first start creates samples (30 days); a restart with --samples-retention 7d ALTERs it and says so', async () => {
    const first = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
    await stopProc(first);
    expect(await policies()).toEqual([
      ['autogen', '0s', true],
      ['samples', '720h0m0s', false],
    ]);
    const second = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--samples-retention', '7d']);
    const log = second.stderr();
    await stopProc(second);
    expect(log).toMatch(/"msg":"retention policy samples: duration changed from 720h0m0s to 7d"/);
    expect(await policies()).toEqual([
      ['autogen', '0s', true],
      ['samples', '168h0m0s', false],
    ]);
  }, 120_000);
});
