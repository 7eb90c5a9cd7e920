// Nested stacks through the real pipeline: three real agents (sysbench cpu, quick profile,
// 2 trials) declare a chain with --parent (n-l0 ← n-l1 ← n-l2) to a real collector and influxd.
// All three run natively here — what is checked is the plumbing and the arithmetic: the
// parent is stored with the results, each layer gets a point against its parent and against
// the root, equal to ratios the test computes itself from the stored sysbench rows, and the
// product of the layers matches the whole stack. (The lab's nested guests: lab/nested.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { onceAgentArgs, runCli, type CliResult } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-nested-e2e-'));
const GROUP = 'e2e-nested';
let stack: LocalStack;
const runs: Record<string, CliResult> = {};
type Row = Record<string, any>;

const agentArgs = (id: string, role: string, parent?: string) =>
  onceAgentArgs({
    collector: stack.collectorAddress,
    tests: 'cpu',
    trials: 2,
    workdir: join(dir, id),
    agentId: id,
    role,
    group: GROUP,
    extra: parent ? ['--parent', parent] : [],
  });

async function query(q: string): Promise<Row[]> {
  return [...((await influxClient(stack.influxUrl, stack.database).query(q)) as unknown as Row[])];
}

/** The collector computes after acking, so the agents may exit first: wait until every point counts all stored trials. */
async function waitForChain(count: number, trials: (agent: string) => number): Promise<Row[]> {
  const q = `SELECT * FROM overhead_chain WHERE "group" = '${GROUP}' AND "metric" = 'events_per_sec'`;
  for (let i = 0; i < 300; i++) {
    const rows = await query(q);
    if (rows.length >= count && rows.every((r) => r.n_guest === trials(r.agent) && r.n_baseline === trials(r.baseline_agent))) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return query(q);
}

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  runs.l0 = await runCli(agentArgs('n-l0', 'baseline'));
  runs.l1 = await runCli([...agentArgs('n-l1', 'guest', 'n-l0'), '--declare', 'nesting=L1']);
  runs.l2 = await runCli(agentArgs('n-l2', 'guest', 'n-l1'));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('nested chain through the pipeline', () => {
  it('the three agents finished', () => {
    for (const [k, r] of Object.entries(runs)) expect(r.code, `${k}: ${r.stderr.slice(-2000)}`).toBe(0);
  });

  it('results carry parent_agent; each layer is compared with its parent and the root', async () => {
    const sys = await query(`SELECT * FROM sysbench WHERE "group" = '${GROUP}' AND "test" = 'cpu'`);
    expect(new Set(sys.map((r) => `${r.agent}:${r.parent_agent ?? ''}`))).toEqual(new Set(['n-l0:', 'n-l1:n-l0', 'n-l2:n-l1']));
    expect(new Set(sys.map((r) => `${r.agent}:${r.declared_nesting ?? ''}`))).toEqual(new Set(['n-l0:', 'n-l1:L1', 'n-l2:']));
    // What detection saw from inside this machine (0 or 1; never more): recorded with every result.
    for (const r of sys) expect([0, 1]).toContain(r.seen_depth);
    const eps = (agent: string) => mean(sys.filter((r) => r.agent === agent && r.ok).map((r) => r.events_per_sec as number));
    const rows = await waitForChain(4, (agent) => sys.filter((r) => r.agent === agent && r.ok).length);
    const get = (agent: string, against: string) => {
      const found = rows.filter((r) => r.agent === agent && r.against === against);
      expect(found, `${agent} against ${against}: ${JSON.stringify(rows)}`).toHaveLength(1);
      return found[0]!;
    };
    const l1p = get('n-l1', 'parent');
    const l2p = get('n-l2', 'parent');
    const l2r = get('n-l2', 'root');
    expect(get('n-l1', 'root').ratio).toBeCloseTo(l1p.ratio, 12);
    expect([l1p.baseline_agent, l2p.baseline_agent, l2r.baseline_agent]).toEqual(['n-l0', 'n-l1', 'n-l0']);
    expect(l1p.ratio).toBeCloseTo(eps('n-l1') / eps('n-l0'), 9);
    expect(l2p.ratio).toBeCloseTo(eps('n-l2') / eps('n-l1'), 9);
    expect(l2r.ratio).toBeCloseTo(eps('n-l2') / eps('n-l0'), 9);
    expect(l2r.chain).toBe('n-l0 > n-l1 > n-l2');
    expect(l2r.depth).toBe(2);
    // L2/L0 within the interval of (L2/L1)·(L1/L0).
    expect(l2r.layers_ratio).toBeCloseTo(l2p.ratio * l1p.ratio, 9);
    expect(l2r.layers_ratio_low).toBeLessThanOrEqual(l2r.ratio);
    expect(l2r.layers_ratio_high).toBeGreaterThanOrEqual(l2r.ratio);
    expect(l2r.layers_agree).toBe(true);
    expect(rows.filter((r) => r.agent === 'n-l0')).toEqual([]);
  });

  it('virt-overhead report draws the chain with each layer and the whole stack', async () => {
    const r = await runCli(['report', '--influx', stack.influxUrl, '--database', stack.database, '--group', GROUP, '--since', '1h']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`group ${GROUP}: n-l0 → n-l1 → n-l2`);
    expect(r.stdout).toMatch(/L1 +cpu +events_per_sec +[+-]\d/);
    expect(r.stdout).toMatch(/L2 +cpu +events_per_sec +[+-]\d.*: agree/);
    expect(r.stdout).not.toContain("'n-l1' declares"); // declared L1 and at L1: no note
  });
});
