// Untrusted text (issue 16, item 7) with the real agent, the real collector process and a real
// influxd. sysbench's output is the one input here that no real sysbench produces on demand, so
// a shell script stands in for it (a mock, because a real sysbench cannot be made to print a
// 40 MB line or a negative rate): it prints one 40 MB line, then a real captured 1.0.20 report
// whose events-per-second is negative. Also: identity strings the collector would refuse are
// refused at agent start, before anything runs.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/root.js';
import { influxdFixture } from '../support/fixture.js';
import { onceAgentArgs, runCli } from '../support/cli.js';
import { recordFigures } from '../support/figures.js';
import { query, startCollectorProc, stopProc, type CollectorProc } from '../support/procs.js';
import { measurementRef } from '../../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const fx = influxdFixture('vo-rel-text-');
const dir = fx.dir;
const p = (name: string) => join(dir, name);
let collector: CollectorProc;
const LONG_MB = Number(process.env.VO_LONG_LINE_MB ?? 40);

beforeAll(async () => {
  collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
});
afterAll(async () => {
  await stopProc(collector);
});

describe('untrusted text', () => {
  it(`a ${LONG_MB} MB line and a negative number from sysbench: read in linear time, the run stored as failed with its reason`, async () => {
    const fixture = join(packageRoot(), 'test', 'fixtures', 'sysbench', '1.0.20-cpu-report-interval.txt');
    writeFileSync(
      p('sysbench'),
      `#!/bin/sh
case "$*" in *--version*) echo "sysbench 1.0.20"; exit 0;; esac
head -c ${LONG_MB * 1024 * 1024} /dev/zero | tr '\\0' 'x'
echo
sed 's/events per second:  8121.24/events per second:  -8121.24/' '${fixture}'
`,
    );
    chmodSync(p('sysbench'), 0o755);
    const started = Date.now();
    const r = await runCli(
      onceAgentArgs({
        collector: collector.address,
        profile: 'quick',
        tests: 'cpu',
        trials: 1,
        workdir: p('work'),
        agentId: 'text',
        group: 'g',
        extra: ['--sysbench', p('sysbench')],
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(1); // the run failed
    const rows = await query(fx.influxd.url, `SELECT "result_id", "ok", "error", "events_per_sec" FROM "sysbench" WHERE "agent" = 'text'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      ok: false,
      events_per_sec: null,
      error: expect.stringMatching(/printed events_per_sec = -8121.24 is out of range 0 \.\. 100000000000 events\/s/),
    });
    const samples = await query(fx.influxd.url, `SELECT "events_per_sec" FROM ${SAMPLES} WHERE "agent" = 'text'`);
    expect(samples.map((s) => s.events_per_sec)).toEqual([8555.05, 7417.64]);
    expect(r.stderr).not.toMatch(/collector rejected a record|cannot be sent/);
    recordFigures(`sysbench printing a ${LONG_MB} MB line, then a report with a negative events/s (stand-in script, real agent)`, {
      sent: 3,
      acknowledged: 3,
      stored: 1 + samples.length,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: 0,
      duplicated: 0,
      note: `the run stored as failed (ok=false) with its reason, 2 interval samples stored, rejected 0; agent run ${seconds.toFixed(1)} s in all (before: 46 s of parsing alone at 40 MB, and the result rejected and deleted)`,
    });
  });

  it("identity strings the collector would refuse are refused at agent start, with the collector's rule", async () => {
    const base = ['agent', '--collector', collector.address, '--once', '--profile', 'quick', '--tests', 'cpu', '--trials', '1', '--workdir', p('work-id')];
    const backslash = await runCli([...base, '--agent-id', 'evil\\', '--group', 'g']);
    expect(backslash.code).toBe(2);
    expect(backslash.stderr).toMatch(/--agent-id 'evil\\' contains a backslash: the collector would refuse it/);
    // Issue 23: C1 controls and bidi overrides are refused too, and shown as escapes, not sent to the terminal.
    const bidi = await runCli([...base, '--agent-id', 'ok\u202egpj', '--group', 'g']);
    expect(bidi.code).toBe(2);
    expect(bidi.stderr).toContain("--agent-id 'ok\\u202egpj' contains a control, format or bidi character: the collector would refuse it");
    const c1 = await runCli([...base, '--agent-id', 'ok', '--group', 'g\u009b2J']);
    expect(c1.code).toBe(2);
    expect(c1.stderr).toContain("--group 'g\\x9b2J' contains a control, format or bidi character");
    expect(bidi.stderr + c1.stderr).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
    const long = await runCli([...base, '--agent-id', 'ok', '--group', 'g'.repeat(200)]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/--group 'g+…' is longer than 128 bytes: the collector would refuse it/);
    const rows = await query(fx.influxd.url, `SELECT "result_id" FROM "sysbench" WHERE "group" = 'g' AND "agent" = 'ok'`);
    expect(rows).toHaveLength(0);
  });
});
