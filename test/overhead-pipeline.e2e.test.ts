// Overhead through the real pipeline: a private influxd and collector, a guest agent that
// runs BEFORE the baseline agent (real sysbench, quick profile, 2 trials), then the overhead
// points are checked against means the test computes itself from the stored sysbench rows,
// and `virt-overhead report` (the built program) prints the comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { onceAgentArgs, runCli, type CliResult } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-overhead-e2e-'));
let stack: LocalStack;
let guest: CliResult;
let baseline: CliResult;
type Row = Record<string, any>;

const agentArgs = (id: string, role: string) =>
  onceAgentArgs({ collector: stack.collectorAddress, tests: 'cpu,memory', trials: 2, workdir: join(dir, id), agentId: id, role, group: 'e2e-oh' });

async function query(q: string): Promise<Row[]> {
  return (await influxClient(stack.influxUrl, stack.database).query(q)) as unknown as Row[];
}

/** The collector computes overhead after acking, so the agents may exit first: wait for it. */
async function waitForOverhead(count: number): Promise<Row[]> {
  for (let i = 0; i < 300; i++) {
    const rows = await query(`SELECT * FROM overhead WHERE "group" = 'e2e-oh'`);
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return query(`SELECT * FROM overhead WHERE "group" = 'e2e-oh'`);
}

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  guest = await runCli(agentArgs('oh-guest', 'guest'));
  baseline = await runCli(agentArgs('oh-native', 'baseline'));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('overhead through the pipeline', () => {
  it('both agents finished', () => {
    expect(guest.code, guest.stderr).toBe(0);
    expect(baseline.code, baseline.stderr).toBe(0);
  });

  it('the guest (first) got overhead points once the baseline arrived, equal to the means of the stored trials', async () => {
    const sys = await query(`SELECT * FROM sysbench WHERE "group" = 'e2e-oh'`);
    const values = (agent: string, test: string, metric: string) =>
      sys.filter((r) => r.agent === agent && r.test === test && r.ok && typeof r[metric] === 'number').map((r) => r[metric] as number);
    // cpu events_per_sec and memory mib_per_sec are printed by sysbench 1.0 and always > 0.
    const rows = await waitForOverhead(2);
    for (const [test, metric] of [
      ['cpu', 'events_per_sec'],
      ['memory', 'mib_per_sec'],
    ] as const) {
      const g = values('oh-guest', test, metric);
      const b = values('oh-native', test, metric);
      const why = `${test}: stored rows ${JSON.stringify(sys.map((r) => [r.agent, r.test, r.ok, r.trial]))}\nguest stderr: ${guest.stderr.slice(-2000)}`;
      expect(g.length, why).toBeGreaterThanOrEqual(2);
      expect(b.length, why).toBeGreaterThanOrEqual(2);
      const points = rows.filter((r) => r.test === test && r.metric === metric);
      expect(points).toHaveLength(1);
      const p = points[0]!;
      expect(p.agent).toBe('oh-guest');
      expect(p.baseline_agent).toBe('oh-native');
      expect(p.n_guest).toBe(g.length);
      expect(p.n_baseline).toBe(b.length);
      expect(p.guest_value).toBeCloseTo(mean(g), 6);
      expect(p.baseline_value).toBeCloseTo(mean(b), 6);
      expect(p.ratio).toBeCloseTo(mean(g) / mean(b), 9);
      expect(p.overhead_pct).toBeCloseTo((mean(b) / mean(g) - 1) * 100, 6); // throughput
      expect(p.ci_low_pct).toBeLessThanOrEqual(p.overhead_pct);
      expect(p.ci_high_pct).toBeGreaterThanOrEqual(p.overhead_pct);
      expect(['worse', 'better', 'equivalent', 'inconclusive']).toContain(p.verdict);
      expect(p.margin_pct).toBeGreaterThan(0);
    }
    // The printing step travelled with every value (parser → result → proto → collector → stored):
    // sysbench 1.0 prints events/s and MiB/s with 2 decimals, total time with 4, latency with 2.
    const ok = sys.filter((r) => r.ok && r.test === 'cpu');
    expect(ok.length).toBeGreaterThan(0);
    for (const r of ok) {
      expect(r.events_per_sec_resolution).toBe(0.01);
      expect(r.total_time_s_resolution).toBe(0.0001);
      expect(r.latency_avg_ms_resolution).toBe(0.01);
      expect(r.total_events_resolution).toBe(1);
    }
  });

  it('`virt-overhead report` prints native and guest side by side', async () => {
    const r = await runCli(['report', '--influx', stack.influxUrl, '--database', stack.database, '--group', 'e2e-oh', '--since', '1d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('== cpu · group e2e-oh · profile quick');
    expect(r.stdout).toMatch(/baseline: \S+ oh-native/);
    expect(r.stdout).toMatch(/events_per_sec \(higher is better\)\s+\S+ oh-native\s+\S+ oh-guest/);
    process.stdout.write(r.stdout);
  });
});
