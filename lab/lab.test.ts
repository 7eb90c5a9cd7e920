// End to end, no mocks: `virt-overhead lab --accel tcg --profile quick` against a real
// collector and a private influxd. The guest's results must arrive tagged by detection run
// INSIDE the guest (virt=qemu-tcg), the collector must write the guest-vs-native `overhead`
// points, and TCG must come out slower than native for cpu and memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { runCli } from '../test/support/cli.js';

type Row = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'lab-e2e-'));
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'influxdb'), database: 'lab_e2e' });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForRows(query: () => Promise<Row[]>, enough: (rows: Row[]) => boolean): Promise<Row[]> {
  // The collector writes `overhead` after it acknowledged the results: give it a moment.
  let rows: Row[] = [];
  for (let i = 0; i < 60; i++) {
    rows = await query();
    if (enough(rows)) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
  return rows;
}

test('lab --accel tcg --profile quick: native baseline and a TCG guest, overhead in InfluxDB', async () => {
  const group = `lab-e2e-${process.pid}`;
  const r = await runCli([
    'lab',
    '--accel',
    'tcg',
    '--profile',
    'quick',
    '--trials',
    '1',
    '--vcpus',
    '2',
    '--memory',
    '2GiB',
    '--collector',
    stack.collectorAddress,
    '--database',
    stack.database,
    '--group',
    group,
    '--data-dir',
    join(dir, 'data'),
  ]);
  // Without --influx the lab cannot read the table back: it says where the results went and
  // how to see them, and every result being stored is success.
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-6000)}`).toBe(0);
  expect(r.stdout).toContain(`group ${group}: the results went to the collector ${stack.collectorAddress}`);
  expect(r.stdout).toContain(`virt-overhead report --influx URL --database ${stack.database} --group ${group}`);
  expect(r.stdout + r.stderr).not.toMatch(/ECONNREFUSED/);

  const influx = influxClient(stack.influxUrl, stack.database);
  const q = (text: string) => influx.query(text) as unknown as Promise<Row[]>;
  const results = await q(`SELECT * FROM sysbench WHERE "group" = '${group}'`);
  const guest = results.filter((p) => p.role === 'guest');
  const native = results.filter((p) => p.role === 'baseline');

  // Tags the agent took from `virt-overhead detect` run inside the guest.
  expect(new Set(guest.map((p) => p.virt))).toEqual(new Set(['qemu-tcg']));
  expect(new Set(guest.map((p) => p.container))).toEqual(new Set(['none']));
  expect(new Set(guest.map((p) => p.agent))).toEqual(new Set(['lab-tcg-default']));
  expect(new Set(guest.map((p) => p.variant))).toEqual(new Set(['default']));
  // Every test ran (the trial rule decides how many trials each).
  expect([...new Set(guest.map((p) => p.test))].sort()).toEqual(['cpu', 'fileio', 'memory', 'mutex', 'threads']);
  expect(guest.every((p) => p.ok === true)).toBe(true);
  expect([...new Set(native.map((p) => p.test))].sort()).toEqual(['cpu', 'fileio', 'memory', 'mutex', 'threads']);
  expect(new Set(native.map((p) => p.virt))).not.toContain('qemu-tcg');

  // The overhead point compares means over the trials (docs/schema.md): computed here from the raw results.
  const ofTest = (rows: Row[], test: string) => rows.filter((p) => p.test === test);
  const value = (rows: Row[], test: string, field: string) => ofTest(rows, test).reduce((s, p) => s + Number(p[field]), 0) / ofTest(rows, test).length;
  const guestCpu = value(guest, 'cpu', 'events_per_sec');
  const nativeCpu = value(native, 'cpu', 'events_per_sec');
  const guestMem = value(guest, 'memory', 'mib_per_sec');
  const nativeMem = value(native, 'memory', 'mib_per_sec');
  expect(guestCpu).toBeLessThan(nativeCpu);
  expect(guestMem).toBeLessThan(nativeMem);

  // The collector's overhead points compare this guest with this group's native baseline.
  const overhead = await waitForRows(
    () => q(`SELECT * FROM overhead WHERE "group" = '${group}'`),
    (rows) => ['cpu', 'memory'].every((t) => rows.some((p) => p.test === t && p.agent === 'lab-tcg-default' && Number(p.n_guest) === ofTest(guest, t).length)),
  );
  const complete = (test: string, metric: string) =>
    overhead.find((p) => p.test === test && p.metric === metric && Number(p.n_guest) === ofTest(guest, test).length);
  const cpuPoint = complete('cpu', 'events_per_sec');
  const memPoint = complete('memory', 'mib_per_sec');
  expect(cpuPoint, JSON.stringify(overhead.slice(0, 3))).toBeDefined();
  expect(memPoint).toBeDefined();
  for (const [point, g, n] of [
    [cpuPoint!, guestCpu, nativeCpu],
    [memPoint!, guestMem, nativeMem],
  ] as const) {
    expect(point.baseline_agent).toBe('lab-native');
    expect(point.virt).toBe('qemu-tcg');
    expect(Number(point.guest_value)).toBeCloseTo(g, 6);
    expect(Number(point.baseline_value)).toBeCloseTo(n, 6);
    // Independently: ratio = guest / native from the raw results; throughput lower => overhead > 0.
    expect(Number(point.ratio)).toBeCloseTo(g / n, 6);
    expect(Number(point.ratio)).toBeLessThan(1);
    expect(Number(point.overhead_pct)).toBeGreaterThan(0);
  }
}, 1_200_000);
