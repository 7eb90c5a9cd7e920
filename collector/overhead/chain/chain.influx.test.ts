// The nested-stack calculator against a real influxd. Expected values are worked out by hand
// from the literals (docs/overhead.md "Nested stacks"): L0 100/110/90, L1 50/55/45, L2 10/11/9
// events/s, so L1/L0 = 0.5, L2/L1 = 0.2, L2/L0 = 0.1; for the layers' product each side's
// s²/(n·mean²) = 1/300, df = 4, t(0.975, 4) = 2.776445 → ratio interval × [0.797163, 1.254448].
// Each layer's own interval comes from lib/compare/reference.py (cases chain_*), frozen in reference.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMarginSpec } from '../../../lib/compare/margin.js';
import { buildChainReport } from '../../report/chain/build.js';
import { formatChainReport, renderChainHtml } from '../../report/chain/format.js';
import { createChainCalculator } from './calculator.js';
import type { Store } from '../../store/store.js';
import type { ChainProblem } from './resolve.js';
import { usePrivateInfluxd } from '../../../test/support/private-influxd.js';
import { writeTrials, type TrialSpec } from '../../../test/support/sysbench-points.js';

const REF = JSON.parse(readFileSync(join(import.meta.dirname, '../../../lib/compare/reference.json'), 'utf8')) as Record<
  string,
  { expected: { verdict: string; low: number; high: number } }
>;
const expected = (name: string) => REF[name]!.expected;
const DB = 'chain_test';
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const MIN = 60_000_000_000n;

const db = usePrivateInfluxd(DB);

function run(
  agent: string,
  group: string,
  role: 'baseline' | 'guest',
  parent: string | undefined,
  start: bigint,
  eps: number[],
  layer: Pick<TrialSpec, 'declaredNesting' | 'seenDepth'> = {},
): TrialSpec[] {
  return eps.map((v, i) => ({
    agent,
    group,
    role,
    parent,
    ...layer,
    test: 'cpu',
    runId: `${agent}-run`,
    trial: i + 1,
    timeNs: start + BigInt(i) * MIN,
    values: { events_per_sec: v },
  }));
}

interface ChainRow {
  time: { getNanoTime(): string };
  agent: string;
  against: string;
  baseline_agent: string;
  ratio: number;
  overhead_pct: number;
  ci_low_pct?: number;
  ci_high_pct?: number;
  depth: number;
  chain: string;
  run_id: string;
  baseline_run_id: string;
  layers_ratio?: number;
  layers_ratio_low?: number;
  layers_ratio_high?: number;
  interaction_ratio?: number;
  layers_agree?: boolean;
  verdict?: string;
  margin_pct?: number;
  margin_source?: string;
}

async function chainRows(group: string, agent: string): Promise<ChainRow[]> {
  return [
    ...((await db.influx.query(
      `SELECT * FROM "overhead_chain" WHERE "group" = '${group}' AND "agent" = '${agent}' AND "metric" = 'events_per_sec' ORDER BY time`,
      { database: DB },
    )) as unknown as ChainRow[]),
  ];
}

describe('chain calculator', () => {
  it('root → L1 → L2: per-layer and whole-stack points, in any arrival order, layers agree', async () => {
    const problems: ChainProblem[] = [];
    const calc = createChainCalculator({ store: db.store, onProblem: (p) => problems.push(p) });
    const url = db.url;
    // L2 arrives first, the root last: every arrival recomputes what it can.
    await calc.onResultsWritten(
      await writeTrials(url, DB, run('l2', 'g', 'guest', 'l1', T0 + 20n * MIN, [10, 11, 9], { declaredNesting: 'L2', seenDepth: 1 })),
    );
    expect(await chainRows('g', 'l2')).toEqual([]);
    await calc.onResultsWritten(
      await writeTrials(url, DB, run('l1', 'g', 'guest', 'l0', T0 + 10n * MIN, [50, 55, 45], { declaredNesting: 'L3 inside VMware', seenDepth: 1 })),
    );
    // Until the root reports, its absence is a problem (true at that moment).
    expect(problems.map((p) => `${p.agent} ${p.kind}`)).toContain('l1 parent-missing');
    problems.length = 0;
    await calc.onResultsWritten(await writeTrials(url, DB, run('l0', 'g', 'baseline', undefined, T0, [100, 110, 90], { seenDepth: 1 })));
    expect(problems).toEqual([]);

    const l2 = await chainRows('g', 'l2');
    expect(l2.map((r) => [r.against, r.baseline_agent, r.depth, r.chain])).toEqual([
      ['parent', 'l1', 2, 'l0 > l1 > l2'],
      ['root', 'l0', 2, 'l0 > l1 > l2'],
    ]);
    expect(l2.every((r) => BigInt(r.time.getNanoTime()) === T0 + 20n * MIN)).toBe(true);
    const [parent, root] = l2 as [ChainRow, ChainRow];
    expect(parent.ratio).toBeCloseTo(0.2, 12);
    expect(parent.overhead_pct).toBeCloseTo(400, 9);
    // The comparison engine's interval, each side one run whose spread comes from the prior (here
    // its trials' 10 % scatter): lib/compare/reference.py's cases chain_l2_parent, chain_l2_root, chain_l1.
    expect(parent.ci_low_pct).toBeCloseTo(expected('chain_l2_parent').low, 5);
    expect(parent.ci_high_pct).toBeCloseTo(expected('chain_l2_parent').high, 5);
    expect(parent.baseline_run_id).toBe('l1-run');
    expect(root.ratio).toBeCloseTo(0.1, 12);
    expect(root.overhead_pct).toBeCloseTo(900, 9);
    expect(root.ci_low_pct).toBeCloseTo(expected('chain_l2_root').low, 5);
    expect(root.ci_high_pct).toBeCloseTo(expected('chain_l2_root').high, 5);
    // (L2/L1)·(L1/L0) = 0.2 · 0.5; the same L1 run in both layers cancels.
    expect(root.layers_ratio).toBeCloseTo(0.1, 12);
    // L1's terms cancel, leaving L2 against L0 with the engine's rounding term (step 1): scipy
    // gives df 3.99374, [0.0793295278394195, 0.12605646689644] — the whole-stack point's own interval.
    expect(root.layers_ratio_low).toBeCloseTo(0.07932952783941949, 8);
    expect(root.layers_ratio_high).toBeCloseTo(0.12605646689644004, 8);
    expect(root.interaction_ratio).toBeCloseTo(1, 12);
    expect(root.layers_agree).toBe(true);

    const l1 = await chainRows('g', 'l1');
    expect(l1.map((r) => [r.against, r.baseline_agent, r.depth])).toEqual([
      ['parent', 'l0', 1],
      ['root', 'l0', 1],
    ]);
    expect(l1[0]!.overhead_pct).toBeCloseTo(100, 9);
    expect(l1[0]!.ci_low_pct).toBeCloseTo(expected('chain_l1').low, 5);
    expect(l1[0]!.ci_high_pct).toBeCloseTo(expected('chain_l1').high, 5);
    expect(await chainRows('g', 'l0')).toEqual([]);
    // The baseline comparison's measurement is not touched.
    expect(await db.influx.query('SELECT count("ratio") FROM "overhead"', { database: DB })).toHaveLength(0);
  });

  it('bad declarations: clear messages, and every chain they do not touch is computed', async () => {
    const problems: ChainProblem[] = [];
    const calc = createChainCalculator({ store: db.store, onProblem: (p) => problems.push(p) });
    const url = db.url;
    const t = T0 + 1000n * MIN;
    await writeTrials(url, DB, run('other-root', 'h', 'baseline', undefined, t, [100, 100, 100]));
    const written = await writeTrials(url, DB, [
      ...run('b0', 'bad', 'baseline', undefined, t, [100, 110, 90]),
      ...run('b1', 'bad', 'guest', 'b0', t + 5n * MIN, [50, 55, 45]),
      ...run('x1', 'bad', 'guest', 'ghost', t + 10n * MIN, [40, 44, 36]),
      ...run('x2', 'bad', 'guest', 'x1', t + 15n * MIN, [20, 22, 18]),
      ...run('c1', 'bad', 'guest', 'c2', t + 20n * MIN, [30, 33, 27]),
      ...run('c2', 'bad', 'guest', 'c1', t + 25n * MIN, [30, 33, 27]),
      ...run('o1', 'bad', 'guest', 'other-root', t + 30n * MIN, [30, 33, 27]),
      ...run('r1', 'bad', 'baseline', 'b0', t + 35n * MIN, [30, 33, 27]),
    ]);
    await calc.onResultsWritten(written);
    const messages = problems.map((p) => `${p.kind}: ${p.message}`);
    expect(messages).toContain("parent-missing: 'x1' names 'ghost' as its parent, but 'ghost' has no results in group bad near this run");
    expect(messages).toContain(
      "parent-other-group: 'o1' (group bad) names 'other-root' as its parent, but 'other-root' reports in group h; layers are compared within one group only",
    );
    expect(messages).toContain("cycle: the parents form a cycle: 'c1' → 'c2' → 'c1'; none of these is compared with its parent or with a root");
    expect(messages.some((m) => m.startsWith("role-conflict: agents b1 (guest), r1 (baseline) all name 'b0'"))).toBe(true);
    expect(messages).toContain(
      "broken-below: 'x2' is compared with its parent 'x1' only: the chain below it is broken at 'x1', so there is no whole-stack figure",
    );
    // The rest is computed: b1 against b0 (both ways), x2 against x1 only (ratio 20/40).
    expect((await chainRows('bad', 'b1')).map((r) => r.against)).toEqual(['parent', 'root']);
    const x2 = await chainRows('bad', 'x2');
    expect(x2.map((r) => [r.against, r.baseline_agent])).toEqual([['parent', 'x1']]);
    expect(x2[0]!.ratio).toBeCloseTo(0.5, 12);
    for (const agent of ['x1', 'c1', 'c2', 'o1', 'r1']) expect(await chainRows('bad', agent)).toEqual([]);
  });

  it('a margin set for the group decides every layer verdict, as it does for the baseline comparison', async () => {
    const t = T0 + 2000n * MIN;
    const written = await writeTrials(db.url, DB, [
      ...run('m0', 'm', 'baseline', undefined, t, [100, 102, 98]),
      ...run('m1', 'm', 'guest', 'm0', t + 5n * MIN, [99, 101, 100]),
    ]);
    // At the default margin (3 %) a layer like its parent, one run each, cannot be equivalent: the
    // run-to-run noise assumed for single runs (τ₀ 2 % a side) exceeds the margin (chain_margin_3).
    await createChainCalculator({ store: db.store }).onResultsWritten(written);
    expect(expected('chain_margin_3').verdict).toBe('inconclusive');
    expect((await chainRows('m', 'm1')).map((r) => [r.against, r.verdict, r.margin_pct, r.margin_source])).toEqual([
      ['parent', 'inconclusive', 3, 'default'],
      ['root', 'inconclusive', 3, 'default'],
    ]);
    // With 30 % for group m (and 1 % for everything else) the 90 % interval lies inside ±30 %: equivalent (chain_margin_30).
    expect(expected('chain_margin_30').verdict).toBe('equivalent');
    await createChainCalculator({ store: db.store, margins: parseMarginSpec('1,m=30') }).onResultsWritten(written);
    expect((await chainRows('m', 'm1')).map((r) => [r.against, r.verdict, r.margin_pct, r.margin_source])).toEqual([
      ['parent', 'equivalent', 30, 'user'],
      ['root', 'equivalent', 30, 'user'],
    ]);
  });

  it('a recompute that cannot multiply the layers any more replaces the stored points (no stale layers_ratio)', async () => {
    const calc = createChainCalculator({ store: db.store });
    const t = T0 + 3000n * MIN;
    await calc.onResultsWritten(
      await writeTrials(db.url, DB, [
        ...run('s0', 's', 'baseline', undefined, t, [100, 110, 90]),
        ...run('s1', 's', 'guest', 's0', t + 5n * MIN, [50, 55, 45]),
        ...run('s2', 's', 'guest', 's1', t + 10n * MIN, [10, 11, 9]),
      ]),
    );
    expect((await chainRows('s', 's2')).map((r) => [r.against, r.layers_ratio ?? null])).toEqual([
      ['parent', null],
      ['root', expect.closeTo(0.1, 12)],
    ]);
    // A nearer run of s1 whose mean is 0 (it stalled through both trials): s2 against s1 has no
    // ratio, and the layers cannot be multiplied; only the whole stack (s2 against s0) is left.
    const stalled = run('s1', 's', 'guest', 's0', t + 9n * MIN, [0, 0]).map((x) => ({ ...x, runId: 's1-stalled' }));
    await calc.onResultsWritten(await writeTrials(db.url, DB, stalled));
    const after = await chainRows('s', 's2');
    expect(after.map((r) => [r.against, r.ratio, r.layers_ratio ?? null, r.layers_agree ?? null])).toEqual([['root', expect.closeTo(0.1, 12), null, null]]);
  });

  it('a run whose last trial arrived first: the points stamped with its time go, and a recompute with nothing stale deletes nothing', async () => {
    const deletes: string[] = [];
    const store: Store = { ...db.store, delete: (m, w) => (deletes.push(m), db.store.delete(m, w)) };
    const calc = createChainCalculator({ store });
    const t = T0 + 4000n * MIN;
    const parent = run('o0', 'ooo', 'baseline', undefined, t, [100, 110, 90]);
    const child = run('o1', 'ooo', 'guest', 'o0', t + 5n * MIN, [50, 55, 45]);
    await calc.onResultsWritten(await writeTrials(db.url, DB, [...parent, child[2]!]));
    const times = async () => [...new Set((await chainRows('ooo', 'o1')).map((r) => r.time.getNanoTime()))];
    expect(await times()).toEqual([String(child[2]!.timeNs)]);
    await calc.onResultsWritten(await writeTrials(db.url, DB, child.slice(0, 2)));
    const rows = await chainRows('ooo', 'o1');
    expect(await times()).toEqual([String(child[0]!.timeNs)]);
    expect(rows.map((r) => [r.against, r.ratio])).toEqual([
      ['parent', expect.closeTo(0.5, 12)],
      ['root', expect.closeTo(0.5, 12)],
    ]);
    expect(deletes).toEqual(['overhead_chain']); // the stale stamp, in one request
    deletes.length = 0;
    await calc.onResultsWritten(await writeTrials(db.url, DB, [...parent, ...child]));
    expect(deletes).toEqual([]);
    expect(await chainRows('ooo', 'o1')).toEqual(rows);
  });

  it('the report draws the chain with each layer cost, the check, the problems and the nesting notes', async () => {
    const reports = await buildChainReport({ store: db.store, since: new Date(Number(T0 / 1_000_000n) - 60_000) });
    const g = reports.find((r) => r.group === 'g')!;
    expect(g.chains.map((c) => c.map((l) => l.agent))).toEqual([['l0', 'l1', 'l2']]);
    const l2 = g.chains[0]![2]!;
    expect(l2).toMatchObject({ depth: 2, virt: 'kvm', seenDepth: 1, declaredNesting: 'L2' });
    expect(l2.costs).toHaveLength(1);
    expect(l2.costs[0]!.layer!.overheadPct).toBeCloseTo(400, 9);
    expect(l2.costs[0]!.whole!.overheadPct).toBeCloseTo(900, 9);
    expect(l2.costs[0]!.agree).toBe(true);
    expect(g.notes).toEqual([
      "the root 'l0' is itself virtualized (virt=none): its whole-stack figures are against it, not against bare metal",
      "'l1' declares nesting=L3 inside VMware but its parents put it at L1 (l0 > l1 > l2)",
    ]);
    const text = formatChainReport(reports);
    expect(text).toContain('group g: l0 → l1 → l2');
    expect(text).toMatch(/L2 +cpu +events_per_sec +\+400% \[\+163%, \+852%\] +\+900% \[\+428%, \+1793%\] +0\.100 \[0\.0793, 0\.126\] vs 0\.100: agree/);
    expect(text).toContain("group bad: PROBLEM (cycle): the parents form a cycle: 'c1' → 'c2' → 'c1'");
    // The HTML fragment: one drawing per chain, each arrow labelled with the layer's cost; text escaped.
    const html = renderChainHtml(reports);
    expect(html.match(/<svg /g)).toHaveLength(reports.reduce((n, r) => n + r.chains.length, 0));
    expect(html).toContain('<text x="418" y="30" class="lname">L1 l1</text>');
    expect(html).toContain('cpu: +400% (stack +900%)');
    expect(html).toContain('&#39;c1&#39; → &#39;c2&#39;');
    expect(text).toContain("group bad: PROBLEM (parent-other-group): 'o1' (group bad) names 'other-root' as its parent, but 'other-root' reports in group h");
  });
});
