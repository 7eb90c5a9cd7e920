// report --compare's like-with-like rules on rows built here (no InfluxDB): profiles and thread
// counts never mix, runs on a shared host are paired, a variant measured on another host than its
// partner says what limits it, and the margin is the table's, never A's noise.
import { describe, expect, it } from 'vitest';
import { compareVariantRows, pairRuns } from './variants.js';
import type { SysbenchRow } from './rows.js';

const H = 3_600_000_000_000n;

/** One run of `n` trials (values around `value` ±1 %) of agent/host `host`, at hour `at`. */
function runRows(variant: string, host: string, runId: string, at: number, value: number, o: { threads?: number; profile?: string } = {}): SysbenchRow[] {
  return [0.99, 1, 1.01].map((f, i) => ({
    timeNs: BigInt(Math.round(at * 3600)) * 1_000_000_000n + BigInt(i) * 60_000_000_000n,
    tags: { agent: host, host, group: 'lab', role: 'guest', virt: 'kvm', variant, test: 'cpu', profile: o.profile ?? 'seed' },
    runId,
    threads: o.threads ?? 1,
    ok: true,
    parent: null,
    noise: {},
    disturbed: null,
    values: { events_per_sec: Number((value * f).toFixed(2)) },
    resolution: { events_per_sec: 0.01 },
  }));
}

const opts = { group: 'lab', test: 'cpu', variantA: 'stock', variantB: 'patched' };

describe('compareVariantRows (report --compare)', () => {
  it('ABBA on one host: paired, the host swinging ±8 % from pair to pair cancels, B 6 % slower is worse', () => {
    const swings = [1, 1.08, 0.93, 1.05, 0.95, 1.02];
    const a = swings.flatMap((s, i) => runRows('stock', 'h1', `a${i}`, i * 2 + (i % 2), 1000 * s));
    const b = swings.flatMap((s, i) => runRows('patched', 'h1', `b${i}`, i * 2 + 1 - (i % 2), (1000 / 1.06) * s));
    const [c, ...more] = compareVariantRows(a, b, 'events_per_sec', opts);
    expect(more).toEqual([]);
    expect(c).toMatchObject({ paired: true, pairs: 6, runsA: 6, runsB: 6, hostsA: ['h1'], hostsB: ['h1'] });
    expect(c!.changePct).toBeCloseTo(6, 1);
    expect(c!.comparison.verdict).toBe('worse');
    expect(c!.margin).toEqual({ marginPct: 3, source: 'default', rule: 'table' });
  });
  it('different profiles or thread counts are never pooled: one comparison each, and one side missing says so', () => {
    const a = [...runRows('stock', 'h1', 'a1', 0, 1000), ...runRows('stock', 'h1', 'a2', 1, 1900, { threads: 2 })];
    const b = [...runRows('patched', 'h1', 'b1', 0.5, 1000), ...runRows('patched', 'h1', 'b2', 2, 1000, { profile: 'quick' })];
    const rows = compareVariantRows(a, b, 'events_per_sec', opts);
    expect(rows.map((r) => [r.profile, r.threads, r.runsA, r.runsB, r.comparison.verdict])).toEqual([
      ['quick', 1, 0, 1, 'unmeasurable'],
      ['seed', 1, 1, 1, expect.any(String)],
      ['seed', 2, 1, 0, 'unmeasurable'],
    ]);
    expect(rows[0]!.comparison.reason).toBe('no trials of this metric on the variant stock');
    expect(rows[2]!.comparison.reason).toBe('no trials of this metric on the variant patched');
  });
  it('a variant measured on another host than its partner: unpaired, and never a verdict the hosts could have made', () => {
    const a = [0, 1, 2, 3].flatMap((i) => runRows('stock', 'h1', `a${i}`, i, 1000));
    const b = [0, 1, 2, 3].flatMap((i) => runRows('patched', 'h2', `b${i}`, i + 0.5, 800));
    const [c] = compareVariantRows(a, b, 'events_per_sec', opts);
    expect(c).toMatchObject({ paired: false, pairs: 0, hostsA: ['h1'], hostsB: ['h2'] });
    expect(c!.changePct).toBeCloseTo(25, 6);
    expect(c!.comparison.verdict).toBe('inconclusive');
    expect(c!.comparison.reason).toMatch(
      /^stock ran only on h1 and patched only on h2: the hosts' difference cannot be told from the variants' \(the interval is what the runs say; the 95 % interval lies above \+3 %/,
    );
  });
  it('pairs each B run with the nearest unused A run on its host, within the window', () => {
    const run = (id: string, host: string, h: number) => ({ runId: id, startNs: BigInt(h) * H, values: [1], host });
    const pairs = pairRuns([run('a1', 'x', 0), run('a2', 'x', 3), run('a3', 'y', 1)], [run('b1', 'x', 1), run('b2', 'x', 2), run('b3', 'x', 40)], 24n * H);
    expect(pairs.map((p) => `${p.a.runId}/${p.b.runId}`)).toEqual(['a1/b1', 'a2/b2']);
  });
});
