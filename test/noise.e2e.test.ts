// Noise signals end to end (issue 22 item 6): a real agent runs real sysbench trials on this
// machine, reads /proc and /sys around each one, and the collector stores the signals and the
// disturbed flag on the trial's `sysbench` point in a real influxd.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { onceAgentArgs, runCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-noise-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  steal_pct: number | null;
  contention_pct: number | null;
  procs_running: number | null;
  load1: number | null;
  cpu_mhz: number | null;
  agent_cpu_pct: number | null;
  disturbed: boolean | null;
  disturbed_reason: string | null;
}

describe('noise signals end to end', () => {
  it('every trial of a real agent has its signals and a disturbed flag that follows the 5 % rule', { timeout: 300_000 }, async () => {
    const stack = await startLocalStack({ dataDir: join(dir, 'influx') });
    try {
      const r = await runCli(
        onceAgentArgs({
          collector: stack.collectorAddress,
          profile: 'quick',
          tests: 'cpu,memory',
          trials: 2,
          workdir: join(dir, 'w'),
          agentId: 'noisy',
          group: 'noise',
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      const rows = (await influxClient(stack.influxUrl, stack.database).query(
        `SELECT steal_pct, contention_pct, procs_running, load1, cpu_mhz, agent_cpu_pct, disturbed, disturbed_reason FROM sysbench WHERE agent = 'noisy'`,
      )) as unknown as Row[];
      expect(rows.length).toBeGreaterThanOrEqual(4);
      for (const row of rows) {
        // /proc/stat and /proc/loadavg exist on every Linux: these are always measured here.
        expect(row.steal_pct).toBeGreaterThanOrEqual(0);
        expect(row.steal_pct).toBeLessThanOrEqual(100);
        expect(row.contention_pct).toBeGreaterThanOrEqual(0);
        expect(row.contention_pct).toBeLessThanOrEqual(100);
        expect(row.procs_running).toBeGreaterThanOrEqual(0);
        expect(row.load1).toBeGreaterThanOrEqual(0);
        expect(row.agent_cpu_pct).toBeGreaterThanOrEqual(0);
        expect(typeof row.disturbed).toBe('boolean');
        const over = row.steal_pct! > 5 || row.contention_pct! > 5;
        expect(row.disturbed).toBe(over);
        if (over) expect(row.disturbed_reason).toMatch(/(steal|other runnable tasks took) \d+\.\d % .*\(> 5 %/);
        else expect(row.disturbed_reason).toBeNull();
      }
    } finally {
      await stack.stop();
    }
  });
});
