// Issue 23 item 8: `health` says NOT_SERVING while nothing can be stored. A real influxd is
// SIGKILLed under the built collector (--unhealthy-after 2s) while an agent (a raw gRPC client)
// sends; `virt-overhead health` must then exit 1, and 0 again once influxd is back on the same
// port and data folder and has stored what was held (before the fix it answered SERVING
// throughout). Nothing acked while InfluxDB was away, every result stored once after.
import { describe, expect, it } from 'vitest';
import { probeHealth } from '../../collector/health/grpc.js';
import { runCli } from '../support/cli.js';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { compareIds, query, sleep, startCollectorProc } from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

const fx = influxdFixture('vo-rel-health-');

/** Polls the health service until it says `want` (or 120 s pass); returns what it said last. */
async function healthBecomes(address: string, want: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 480 && last !== want; i++) {
    last = await probeHealth(address).catch((err: Error) => err.message);
    if (last !== want) await sleep(250);
  }
  return last;
}

describe('health while InfluxDB is away', () => {
  it('NOT_SERVING once every write has failed longer than --unhealthy-after; SERVING again once InfluxDB stores what was held', async () => {
    let influxd = fx.influxd;
    const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', influxd.url, '--unhealthy-after', '2s']);
    fx.procs.push(c);
    const client = rawClient(c.address);
    const s = openStream(client);
    s.call.write({ hello: hello({ agent_id: 'health-agent', group: 'health' }) });
    await s.waitFor((m) => Boolean(m.welcome));
    const acked = () => new Set(s.received.flatMap((m) => m.ack?.ids ?? []));
    s.call.write(validResult('before'));
    await s.waitFor((m) => Boolean(m.ack?.ids.includes('before')));
    expect((await runCli(['health', '--collector', c.address])).code).toBe(0);

    await influxd.kill();
    const ids = ['during-1', 'during-2', 'during-3'];
    for (const id of ids) s.call.write(validResult(id));
    expect(await healthBecomes(c.address, 'NOT_SERVING')).toBe('NOT_SERVING');
    const cli = await runCli(['health', '--collector', c.address]);
    expect(cli.code).toBe(1);
    expect(cli.stdout + cli.stderr).toMatch(/NOT_SERVING/);
    expect(ids.filter((id) => acked().has(id))).toEqual([]); // held: no ack while nothing is stored

    influxd = await fx.restart(); // same port and data
    expect(await healthBecomes(c.address, 'SERVING')).toBe('SERVING');
    await s.waitFor((m) => Boolean(m.ack?.ids.includes('during-3')), 1, 120_000);
    expect((await runCli(['health', '--collector', c.address])).code).toBe(0);
    s.close();
    client.close();

    const rows = await query(influxd.url, `SELECT "result_id" FROM "sysbench" WHERE "agent" = 'health-agent'`);
    const cmp = compareIds(
      ['before', ...ids],
      rows.map((r) => String(r.result_id)),
    );
    expect(cmp).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(c.stderr()).toMatch(/health NOT_SERVING/);
    recordFigures('InfluxDB SIGKILLed under a collector with --unhealthy-after 2s, then restarted', {
      sent: 4,
      acknowledged: acked().size,
      stored: rows.length,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: cmp.lost,
      duplicated: cmp.duplicated,
      note: '`virt-overhead health` exit 1 (NOT_SERVING) while InfluxDB was away, 0 again once it was back; the 3 results sent meanwhile held (no ack), then stored once (before the fix: SERVING throughout)',
    });
  }, 300_000);
});
