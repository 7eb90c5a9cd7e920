// End to end, no mocks: `virt-overhead lab --nested --accel tcg --trials 2` — the native
// baseline (L0), an L1 TCG guest running its suite and then an L2 TCG guest booted INSIDE L1
// (quick cpu + memory), all reporting to a real collector and influxd with their parents set.
// TCG inside TCG is slow (16–56 min end to end on this 2-core machine, depending on its load;
// docs/lab.md), so this runs only with VIRT_OVERHEAD_SLOW=1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { packageRoot } from '../lib/root.js';
import { runCli } from '../test/support/cli.js';

type Row = Record<string, any>;
const slow = process.env.VIRT_OVERHEAD_SLOW === '1';

describe.skipIf(!slow)('lab --nested (VIRT_OVERHEAD_SLOW=1)', () => {
  // Made in beforeAll, not here: a describe body runs even when the suite is skipped.
  let dir: string;
  let stack: LocalStack;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-nested-'));
    stack = await startLocalStack({ dataDir: join(dir, 'influxdb'), database: 'lab_nested' });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'three layers report with their parents; per-layer and whole-stack points; L2/L0 within (L2/L1)·(L1/L0)',
    async () => {
      const group = `lab-nested-${process.pid}`;
      const r = await runCli([
        'lab',
        '--nested',
        '--accel',
        'tcg',
        '--profile',
        'quick',
        '--trials',
        '2',
        '--vcpus',
        '2',
        '--memory',
        '2GiB',
        '--collector',
        stack.collectorAddress,
        '--influx',
        stack.influxUrl,
        '--database',
        stack.database,
        '--group',
        group,
        '--data-dir',
        join(dir, 'data'),
      ]);
      expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-6000)}`).toBe(0);
      const influx = influxClient(stack.influxUrl, stack.database);
      const q = async (text: string) => [...((await influx.query(text)) as unknown as Row[])];

      const results = await q(`SELECT * FROM sysbench WHERE "group" = '${group}'`);
      const layer = (agent: string) => results.filter((p) => p.agent === agent);
      const [l0, l1, l2] = ['lab-native', 'lab-tcg-default', 'lab-tcg-default-l2'].map(layer) as [Row[], Row[], Row[]];
      expect(new Set(l0.map((p) => p.parent_agent ?? null))).toEqual(new Set([null]));
      expect(new Set(l1.map((p) => p.parent_agent))).toEqual(new Set(['lab-native']));
      expect(new Set(l2.map((p) => p.parent_agent))).toEqual(new Set(['lab-tcg-default']));
      // Detection inside L2 still says qemu-tcg and sees one layer; the depth comes from the parents.
      expect(new Set(l2.map((p) => p.virt))).toEqual(new Set(['qemu-tcg']));
      expect(new Set(l2.map((p) => p.seen_depth))).toEqual(new Set([1]));
      expect(new Set(l2.map((p) => p.declared_nesting))).toEqual(new Set(['L2']));
      expect(new Set(l2.map((p) => p.test))).toEqual(new Set(['cpu', 'memory']));
      expect(l2.every((p) => p.ok === true)).toBe(true);

      const chain = await q(`SELECT * FROM overhead_chain WHERE "group" = '${group}' AND "test" = 'cpu' AND "metric" = 'events_per_sec'`);
      // An hour's run leaves its evidence: every stored trial and chain point, for a failure to be read afterwards.
      mkdirSync(join(packageRoot(), '.data', 'lab'), { recursive: true });
      writeFileSync(join(packageRoot(), '.data', 'lab', 'nested-e2e-points.json'), JSON.stringify({ results, chain }, null, 1));
      const point = (agent: string, against: string) => chain.find((p) => p.agent === agent && p.against === against)!;
      const l1p = point('lab-tcg-default', 'parent');
      const l2p = point('lab-tcg-default-l2', 'parent');
      const l2r = point('lab-tcg-default-l2', 'root');
      for (const p of [l1p, l2p, l2r]) {
        expect(p, JSON.stringify(chain)).toBeDefined();
        expect(p.ci_low_pct).toBeLessThanOrEqual(p.overhead_pct);
        expect(p.ci_high_pct).toBeGreaterThanOrEqual(p.overhead_pct);
      }
      // Independently from the stored trials: each ratio is a ratio of means.
      const mean = (rows: Row[]) => rows.filter((p) => p.test === 'cpu' && p.ok).reduce((s, p, _, a) => s + p.events_per_sec / a.length, 0);
      expect(l1p.ratio).toBeCloseTo(mean(l1) / mean(l0), 9);
      expect(l2p.ratio).toBeCloseTo(mean(l2) / mean(l1), 9);
      expect(l2r.ratio).toBeCloseTo(mean(l2) / mean(l0), 9);
      expect(l2r.chain).toBe('lab-native > lab-tcg-default > lab-tcg-default-l2');
      // L2/L0 within the interval of (L2/L1)·(L1/L0).
      expect(l2r.layers_ratio).toBeCloseTo(l2p.ratio * l1p.ratio, 9);
      expect(l2r.layers_ratio_low).toBeLessThanOrEqual(l2r.ratio);
      expect(l2r.layers_ratio_high).toBeGreaterThanOrEqual(l2r.ratio);
      expect(l2r.layers_agree).toBe(true);
      expect(r.stdout).toContain(`group ${group}: lab-native → lab-tcg-default → lab-tcg-default-l2`);
    },
    4 * 3_600_000,
  );
});
