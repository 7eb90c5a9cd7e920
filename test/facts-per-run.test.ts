// Facts with each run (issue 14 item 1), stored when they change (issue 23 item 2): one
// connection (a daemon agent), one hello, three runs, sysbench upgraded between the second and
// the third. Through a real collector and influxd: the hello's point, and one point for the
// upgrade, stamped at the third run's first result with the fact event on it; the runs that
// changed nothing add no point.
import { describe, expect, it } from 'vitest';
import { query } from './support/procs.js';
import { hello, openStream, rawCollectorFixture, validResult } from './support/raw-client.js';

const fx = rawCollectorFixture('vo-facts-run-');

describe('agent_info with each run', () => {
  it('a daemon agent whose sysbench is upgraded between runs: the upgrade is a point and an event, the other runs none', async () => {
    const s = openStream(fx.client);
    s.call.write({ hello: hello({ agent_id: 'daemon', sysbench_version: '1.0.20', protocol_version: 1 }) });
    await s.waitFor((m) => Boolean(m.welcome));
    const base = BigInt(Date.now()) * 1_000_000n;
    const runs = [
      { run: 'run-1', version: '1.0.20' },
      { run: 'run-2', version: '1.0.20' },
      { run: 'run-3', version: '1.1.0' },
    ];
    const first = new Map<string, string>();
    let n = 0;
    for (const [i, r] of runs.entries())
      for (const trial of [1, 2, 3]) {
        const ts = String(base + BigInt(i) * 60_000_000_000n + BigInt(trial) * 1_000_000_000n);
        if (trial === 1) first.set(r.run, ts);
        s.call.write(validResult(`${r.run}-t${trial}`, { run_id: r.run, trial, sysbench_version: r.version, timestamp_ns: ts }));
        n++;
      }
    const acked = new Set<string>();
    await s.waitFor((m) => (m.ack?.ids.forEach((id) => acked.add(id)), acked.size >= n));
    s.close();
    await s.closed;
    // Written after the acks, in order with the overhead work: wait for the third run's point.
    let rows: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 300 && !rows.some((r) => r.run_id === 'run-3'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await query(fx.stack.influxUrl, `SELECT * FROM "agent_info" WHERE "agent" = 'daemon'`);
    }
    const perRun = rows.filter((r) => r.run_id);
    expect(rows).toHaveLength(2); // the hello's point and the upgrade's
    expect(rows[0]!.run_id).toBeNull();
    expect(perRun.map((r) => [r.run_id, r.sysbench_version, r.changed, r.changed_detail])).toEqual([
      ['run-3', '1.1.0', 'sysbench_version', 'sysbench_version: 1.0.20 → 1.1.0'],
    ]);
    // Stamped at its run's first result, exactly (nanoseconds, read back as such).
    const stamped = await fetch(
      `${fx.stack.influxUrl}/query?db=${fx.stack.database}&epoch=ns&q=${encodeURIComponent(`SELECT "run_id" FROM "agent_info" WHERE "agent" = 'daemon' AND "run_id" =~ /./`)}`,
    ).then((r) => r.text());
    const times = [...stamped.matchAll(/\[(\d+),"(run-\d)"\]/g)].map((m) => [m[2], m[1]]);
    expect(times).toEqual([['run-3', first.get('run-3')]]);
    // The other facts are the hello's, carried onto every run's point.
    for (const r of perRun) expect(r).toMatchObject({ kernel: '6.1', cpu_model: 'test', cpus: 2, agent_version: 'raw' });
  });
});
