// The whole pipeline on real parts, no mocks: a private influxd, the collector, the agent
// running real sysbench (quick profile), then InfluxDB is queried for every test's fields.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { onceAgentArgs, runCli, type CliResult } from './support/cli.js';
import { detect } from '../agent/detect/index.js';
import { measurementRef } from '../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const dir = mkdtempSync(join(tmpdir(), 'vo-e2e-'));
let stack: LocalStack;
let agent: CliResult;

type Row = Record<string, unknown>;

async function query(q: string): Promise<Row[]> {
  return (await influxClient(stack.influxUrl, stack.database).query(q)) as unknown as Row[];
}

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  agent = await runCli(
    onceAgentArgs({
      collector: stack.collectorAddress,
      profile: 'quick',
      trials: 1,
      workdir: join(dir, 'work'),
      agentId: 'e2e-native',
      role: 'baseline',
      group: 'e2e',
      extra: ['--variant', 'stock'],
    }),
  );
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// What sysbench 1.0 prints for each test, in schema names (checked by reading its output).
const EXPECTED_FIELDS: Record<string, string[]> = {
  cpu: [
    'events_per_sec',
    'total_time_s',
    'total_events',
    'latency_min_ms',
    'latency_avg_ms',
    'latency_max_ms',
    'latency_pct_ms',
    'latency_sum_ms',
    'fairness_events_avg',
    'fairness_exec_time_avg',
  ],
  threads: ['total_time_s', 'total_events', 'latency_avg_ms', 'latency_pct_ms', 'fairness_events_avg', 'fairness_events_stddev'],
  fileio: ['reads_per_sec', 'writes_per_sec', 'fsyncs_per_sec', 'read_mib_per_sec', 'written_mib_per_sec', 'total_events', 'latency_avg_ms'],
  memory: ['operations', 'operations_per_sec', 'transferred_mib', 'mib_per_sec', 'total_time_s', 'total_events'],
  mutex: ['total_time_s', 'total_events', 'latency_avg_ms', 'fairness_exec_time_avg'],
};

describe('agent → gRPC → collector → InfluxDB', () => {
  it('the agent finishes the quick suite and exits 0 after every ack', () => {
    expect(agent.stderr).toContain('suite finished');
    expect(agent.code).toBe(0);
  });

  it('writes one sysbench point per test with the identity tags', async () => {
    // What this machine is (container, KVM) differs between machines: detection here says.
    const here = await detect();
    const rows = await query(`SELECT * FROM sysbench WHERE agent = 'e2e-native'`);
    expect(rows.map((r) => r.test).sort()).toEqual(['cpu', 'fileio', 'memory', 'mutex', 'threads']);
    for (const r of rows) {
      expect(r).toMatchObject({
        agent: 'e2e-native',
        group: 'e2e',
        role: 'baseline',
        variant: 'stock',
        profile: 'quick',
        sysbench_version: '1.0.20',
        container: here.container,
        kvm: here.kvm.verdict,
        ok: true,
        trial: 1,
      });
      expect(String(r.virt)).not.toBe('');
      expect(r.run_id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
      expect(r.result_id).toBe(`e2e-native:${r.run_id}:${r.test}:1`);
    }
  });

  it('every test carries the fields its sysbench output printed, with plausible values', async () => {
    const rows = await query(`SELECT * FROM sysbench WHERE agent = 'e2e-native'`);
    for (const r of rows) {
      for (const f of EXPECTED_FIELDS[r.test as string]!) {
        expect(typeof r[f], `${r.test}.${f}`).toBe('number');
        expect(r[f] as number, `${r.test}.${f}`).toBeGreaterThanOrEqual(0);
      }
    }
    const by = Object.fromEntries(rows.map((r) => [r.test, r]));
    // The profile's own settings come back: threads and the memory test's 1 GiB in 8 KiB blocks.
    expect(by.threads!.threads).toBe(500);
    expect(by.fileio!.threads).toBe(20);
    expect(by.mutex!.threads).toBe(4);
    expect(by.memory!.transferred_mib).toBe(1024);
    expect(by.memory!.operations).toBe((1024 * 1024) / 8);
    expect(by.mutex!.total_events).toBe(4); // 4 threads, one event each
    // Internal consistency computed here, independently of the parser: events/s ≈ events / time.
    const cpu = by.cpu!;
    // (sysbench divides by its unrounded clock; total_time_s is printed to 0.1 ms: allow 0.5 %.)
    const derived = (cpu.total_events as number) / (cpu.total_time_s as number);
    expect(Math.abs((cpu.events_per_sec as number) / derived - 1)).toBeLessThan(0.005);
    // A value sysbench did not print is absent, not 0: cpu prints no fileio fields.
    expect(cpu.read_mib_per_sec).toBeNull();
  });

  it('streams interval samples during time-bounded runs', async () => {
    const rows = await query(`SELECT * FROM ${SAMPLES} WHERE agent = 'e2e-native'`);
    const tests = new Set(rows.map((r) => r.test));
    expect(tests.has('cpu')).toBe(true);
    expect(tests.has('fileio')).toBe(true);
    for (const r of rows) expect(r.elapsed_s as number).toBeGreaterThanOrEqual(1);
    // A sample is stamped when its line arrived, during the run, before the result's time.
    const results = await query(`SELECT * FROM sysbench WHERE agent = 'e2e-native' AND test = 'cpu'`);
    const cpuSamples = rows.filter((r) => r.test === 'cpu');
    for (const s of cpuSamples) expect((s.time as Date).getTime()).toBeLessThanOrEqual((results[0]!.time as Date).getTime());
  });

  it('reports agent status, ending with an empty spool', async () => {
    const rows = await query(`SELECT last(spooled) AS spooled, last(dropped) AS dropped, last(last_run_ok) AS ok FROM agent_status WHERE agent = 'e2e-native'`);
    expect(rows[0]).toMatchObject({ spooled: 0, dropped: 0, ok: true });
  });
});
