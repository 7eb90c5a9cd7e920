// The Overview's "Native / KVM / TCG: relative performance" bars read overhead_latest: per test and
// virt, the mean of 100 / (100 + overhead_pct) over the rows of the "Current overhead" table beside
// them (one answer between the two panels of the "Now" row, issue 26). Real influxd; overhead
// points written as the calculator stores them, overhead_latest filled by the collector's own
// start-time refresh. Checked against, computed here in JS:
// - the Current overhead query's own rows, averaged by test and virt;
// - each row's newest raw overhead point within the range (over its profiles), from all points;
// over the whole span and over a range that a guest whose latest run is before it has left.
// Two groups, KVM and TCG guests, two tests with two metrics each, two profiles on some guests.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/stats/random.js';
import { interpolate, type VariableValue } from '../../grafana/interpolate.js';
import { currentOverhead, relativeByVirt } from '../../grafana/dashboards/overview.js';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { seriesRows } from '../../test/support/stored-points.js';
import { refreshAllLatest } from './overhead-latest.js';

const DB = 'relative';
const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 0, 1);
const RUNS = 8;
const END_MS = T0_MS + RUNS * 6 * HOUR_MS;
const db = usePrivateInfluxd(DB);

interface Guest {
  agent: string;
  group: string;
  virt: 'kvm' | 'tcg';
  profiles: string[];
  /** Runs it made (the first `runs` of RUNS). */
  runs: number;
}
const GUESTS: Guest[] = [
  { agent: 'k1', group: 'g1', virt: 'kvm', profiles: ['seed', 'quick'], runs: RUNS },
  { agent: 'k2', group: 'g1', virt: 'kvm', profiles: ['seed'], runs: RUNS },
  { agent: 't1', group: 'g1', virt: 'tcg', profiles: ['seed', 'quick'], runs: RUNS },
  { agent: 'k3', group: 'g2', virt: 'kvm', profiles: ['seed'], runs: RUNS },
  { agent: 't2', group: 'g2', virt: 'tcg', profiles: ['seed'], runs: RUNS },
  // Reported twice, long ago: in the whole span, not in a range that starts after its runs.
  { agent: 'gone', group: 'g2', virt: 'kvm', profiles: ['seed'], runs: 2 },
];
const METRICS: Record<string, string[]> = { cpu: ['events_per_sec', 'latency_avg_ms'], memory: ['mib_per_sec', 'events_per_sec'] };

interface RawPoint {
  tags: Record<string, string>;
  timeMs: number;
  /** None: an unmeasurable comparison (the calculator writes no overhead_pct then). */
  overhead_pct?: number;
}

/** Overhead points as the calculator stores them (every point has run_id: refreshLatest finds the newest from it). */
function overheadPoints(): RawPoint[] {
  const r = mulberry32(26);
  const out: RawPoint[] = [];
  for (const g of GUESTS)
    for (const [test, metrics] of Object.entries(METRICS))
      for (const [p, profile] of g.profiles.entries())
        for (let i = 0; i < g.runs; i++)
          for (const metric of metrics) {
            const base = g.virt === 'tcg' ? 400 : 8;
            out.push({
              tags: {
                agent: g.agent,
                host: g.agent,
                group: g.group,
                role: 'guest',
                virt: g.virt,
                container: 'none',
                kvm: g.virt === 'kvm' ? 'usable' : 'absent',
                variant: 'default',
                test,
                profile,
                sysbench_version: '1.0.20',
                metric,
                baseline_agent: `native-${g.group}`,
              },
              // The second profile an hour after the first: a row's newest series is its quick one.
              timeMs: T0_MS + i * 6 * HOUR_MS + p * HOUR_MS + (test === 'memory' ? 10 * 60_000 : 0),
              // k2's newest memory mib_per_sec run unmeasurable: that row has no overhead, in the table as in the bars.
              ...(g.agent === 'k2' && metric === 'mib_per_sec' && i === g.runs - 1
                ? {}
                : { overhead_pct: base * (0.5 + r()) * (metric === 'latency_avg_ms' ? 1.3 : 1) }),
            });
          }
  return out;
}

async function write(points: RawPoint[]): Promise<void> {
  const lines = points.map(({ tags, timeMs, overhead_pct: o }, k) => {
    const t = Object.entries(tags)
      .sort()
      .map(([key, v]) => `${key}=${v}`)
      .join(',');
    const measured =
      o === undefined ? 'verdict="unmeasurable"' : `overhead_pct=${o},ci_low_pct=${o - 2},ci_high_pct=${o + 2},ratio=${100 / (100 + o)},verdict="worse"`;
    return `overhead,${t} ${measured},n_guest=3,n_baseline=3,margin_pct=1,run_id="r${k}" ${timeMs}000000`;
  });
  const res = await fetch(`${db.url}/write?db=${DB}&precision=n`, { method: 'POST', body: lines.join('\n') });
  expect(res.status).toBe(204);
}

// Every variable on All, as Grafana sends it (allValue .*).
const ALL: VariableValue = { multi: false, value: '.*' };
const VARS = Object.fromEntries(['group', 'agent', 'virt', 'test', 'variant', 'metric'].map((v) => [v, ALL]));

type Row = Record<string, unknown>;
async function table(sql: string, fromMs: number, toMs: number): Promise<Row[]> {
  return (await seriesRows(db.url, DB, interpolate(sql, { fromMs, toMs }, VARS))).flatMap((s) => s.rows.map((row) => ({ ...s.tags, ...row })));
}

const relative = (o: number) => 100 / (100 + o);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ROW_TAGS = ['group', 'agent', 'virt', 'test', 'metric', 'variant', 'baseline_agent'];

/** Per test · virt, the mean of 100 / (100 + overhead_pct) over `rows` that have one. */
function byTestVirt(rows: Array<{ test: string; virt: string; overhead_pct?: number }>): Map<string, { mean: number; n: number }> {
  const groups = new Map<string, number[]>();
  for (const r of rows)
    if (r.overhead_pct !== undefined) groups.set(`${r.test}·${r.virt}`, [...(groups.get(`${r.test}·${r.virt}`) ?? []), relative(r.overhead_pct)]);
  return new Map([...groups].map(([k, xs]) => [k, { mean: mean(xs), n: xs.length }]));
}

/** Each Current overhead row's newest raw point within [fromMs, toMs], over its series (profiles). */
function newestRows(points: RawPoint[], fromMs: number, toMs: number): Array<{ test: string; virt: string; overhead_pct?: number; key: string }> {
  const newest = new Map<string, RawPoint>();
  for (const p of points) {
    if (p.timeMs < fromMs || p.timeMs > toMs) continue;
    const key = ROW_TAGS.map((t) => p.tags[t]).join('|');
    if (!newest.has(key) || newest.get(key)!.timeMs < p.timeMs) newest.set(key, p);
  }
  return [...newest].map(([key, p]) => ({ key, test: p.tags.test!, virt: p.tags.virt!, overhead_pct: p.overhead_pct }));
}

async function bars(fromMs: number, toMs: number): Promise<Map<string, number>> {
  const rows = await table(relativeByVirt.toString(), fromMs, toMs);
  return new Map(rows.map((r) => [`${String(r.test)}·${String(r.virt)}`, r.relative as number]));
}

describe('Native / KVM / TCG reads overhead_latest: the Current overhead rows averaged by test and virt (real influxd)', () => {
  const points = overheadPoints();

  it('is filled as the collector fills overhead_latest', async () => {
    await write(points);
    // One latest point per series: guests × tests × metrics × profiles.
    expect(await refreshAllLatest(db.store)).toBe(GUESTS.reduce((n, g) => n + g.profiles.length * 4, 0));
  });

  for (const [name, fromMs] of [
    ['the whole span', T0_MS - HOUR_MS],
    ['a range that starts after the gone guest’s runs', T0_MS + 3 * 6 * HOUR_MS],
  ] as const)
    it(`over ${name}: each bar is the mean over the Current overhead rows of its test and virt, and those rows are each row's newest point in the range`, async () => {
      const current = (await table(currentOverhead.toString(), fromMs, END_MS)).map((r) => ({
        test: String(r.test),
        virt: String(r.virt),
        overhead_pct: r.overhead_pct as number | undefined,
        key: ROW_TAGS.map((t) => String(r[t])).join('|'),
      }));
      const newest = newestRows(points, fromMs, END_MS);
      // The table's rows: each guest × test × metric once, its newest point over its profiles.
      expect(new Map(current.map((r) => [r.key, r.overhead_pct]))).toEqual(new Map(newest.map((r) => [r.key, r.overhead_pct])));
      expect(current.some((r) => r.key.includes('|gone|'))).toBe(fromMs < T0_MS + 2 * 6 * HOUR_MS);
      // k2's memory mib_per_sec row: its latest run unmeasurable, so no overhead (not its previous run's).
      expect(current.filter((r) => r.key.startsWith('g1|k2|kvm|memory|mib_per_sec|')).map((r) => r.overhead_pct)).toEqual([undefined]);

      const got = await bars(fromMs, END_MS);
      const want = byTestVirt(current);
      expect([...got.keys()].sort()).toEqual(['cpu·kvm', 'cpu·tcg', 'memory·kvm', 'memory·tcg']);
      for (const [k, w] of want) expect(got.get(k), k).toBeCloseTo(w.mean, 12);
      // Each kvm bar averages k1, k2, k3 (and gone while it is in range) × 2 metrics, each tcg bar t1, t2 × 2.
      expect(want.get('cpu·kvm')!.n).toBe(fromMs < T0_MS ? 8 : 6);
      expect(want.get('memory·kvm')!.n).toBe(fromMs < T0_MS ? 7 : 5);
      expect(want.get('cpu·tcg')!.n).toBe(4);
      // Not the old answer (the mean over every overhead point of the range): the bars now read each row's latest run.
      const everyPoint = byTestVirt(
        points.filter((p) => p.timeMs >= fromMs && p.timeMs <= END_MS).map((p) => ({ ...p, test: p.tags.test!, virt: p.tags.virt! })),
      );
      for (const [k, w] of everyPoint) expect(Math.abs(got.get(k)! - w.mean), k).toBeGreaterThan(1e-4);
    });

  it('over a range with no run: no bar, as no row', async () => {
    expect((await bars(END_MS + HOUR_MS, END_MS + 7 * 24 * HOUR_MS)).size).toBe(0);
    expect((await table(currentOverhead.toString(), END_MS + HOUR_MS, END_MS + 7 * 24 * HOUR_MS)).length).toBe(0);
  });
});
