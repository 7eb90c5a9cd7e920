// Variant B against variant A (e.g. patched-qemu against stock-qemu) of one group, test and
// metric — the experiment the product automates. Like with like: runs are compared only with
// runs of the same virt, profile and thread count, and where A and B ran on the same host their runs
// are paired (each B run with the nearest A run on that host) and the per-pair log ratios carry
// the comparison, so whatever the host did that hour cancels. Without a host in common the two
// variants' runs are compared as independent pools, and a single host per side is said to be
// confounded with the variant. The margin comes from the table (or --margin), never from A's noise.
import type { ResultField } from '../../schema/sysbench.js';
import { comparePairs, compareRuns, distanceNs, marginFor, type Comparison, type Margin, type MarginSpec, type RunValues } from '../../lib/compare/index.js';
import { DECISIVE } from '../../lib/compare/compare.js';
import { metricDirection, type Direction } from '../../schema/metrics.js';
import { RESOLUTION_SUFFIX } from '../../schema/influx.js';
import type { Store } from '../store/store.js';
import { sysbenchRows, type SysbenchRow } from './rows.js';
import { runsFor } from './compute.js';
import { DEFAULT_WINDOW_MS } from './window.js';

export interface VariantComparison {
  metric: string;
  direction: Direction;
  /** What ran (the `virt` tag: kvm, qemu-tcg, …): a variant's effect may differ from one accelerator to another. */
  virt: string;
  profile: string;
  threads: number | null;
  /** Runs, trials and hosts of each variant (of this profile and thread count). */
  runsA: number;
  runsB: number;
  nA: number;
  nB: number;
  hostsA: string[];
  hostsB: string[];
  /** Decided from pairs of runs on a shared host (how many), or from two independent pools. */
  paired: boolean;
  pairs: number;
  meanA: number | null;
  meanB: number | null;
  /** B against A by the comparison engine: verdict, ratio, change % with its interval (positive = B worse). */
  comparison: Comparison;
  margin: Margin;
  /** How much worse B is than A in percent (positive = B worse); NaN without a ratio. */
  changePct: number;
}

export interface CompareVariantsOptions {
  /** Where the results are read (collector/store). */
  store: Store;
  group: string;
  test: string;
  metric: string;
  /** The reference variant (A) and the one compared against it (B). */
  variantA: string;
  variantB: string;
  profile?: string;
  threads?: number;
  /** Only this agent's results (default: every agent of the group). */
  agent?: string;
  /** Whose results: guests (default; variants label guest configurations), baselines or both. */
  role?: 'guest' | 'baseline' | 'any';
  /** Only results at or after this time. */
  since: Date;
  /** The user's margins (--margin); default: the table. */
  margins?: MarginSpec;
}

/** Pairs each B run with the nearest unused A run on the same host within `maxGapNs` (B runs in time order). */
export function pairRuns(a: readonly RunValues[], b: readonly RunValues[], maxGapNs: bigint): Array<{ a: RunValues; b: RunValues }> {
  const used = new Set<RunValues>();
  const pairs: Array<{ a: RunValues; b: RunValues }> = [];
  for (const rb of [...b].sort((x, y) => (x.startNs < y.startNs ? -1 : 1))) {
    let best: RunValues | null = null;
    for (const ra of a) {
      if (used.has(ra) || ra.host !== rb.host || distanceNs(ra.startNs, rb.startNs) > maxGapNs) continue;
      if (!best || distanceNs(ra.startNs, rb.startNs) < distanceNs(best.startNs, rb.startNs)) best = ra;
    }
    if (best) {
      used.add(best);
      pairs.push({ a: best, b: rb });
    }
  }
  return pairs;
}

const hostsOf = (runs: readonly RunValues[]) => [...new Set(runs.map((r) => r.host ?? ''))].sort();

/**
 * B's rows against A's rows for one metric (rows of one group and test, any profiles and thread
 * counts): one comparison per virt × profile × thread count present in either variant.
 */
export function compareVariantRows(
  rowsA: readonly SysbenchRow[],
  rowsB: readonly SysbenchRow[],
  metric: ResultField,
  o: { group: string; test: string; variantA: string; variantB: string; margins?: MarginSpec; maxGapMs?: number },
): VariantComparison[] {
  const direction = metricDirection(metric);
  if (!direction) throw new Error(`compareVariants: unknown metric '${metric}'`);
  const margin = marginFor(o.margins, o.group, o.test, metric);
  const keyOf = (r: SysbenchRow) => JSON.stringify([r.tags.virt ?? '', r.tags.profile ?? '', r.threads]);
  const keys = [...new Set([...rowsA, ...rowsB].map(keyOf))].sort();
  const names = { candidate: `variant ${o.variantB}`, reference: `variant ${o.variantA}` };
  const maxGapNs = BigInt(Math.round(o.maxGapMs ?? DEFAULT_WINDOW_MS)) * 1_000_000n;
  return keys.map((key) => {
    const [virt, profile, threads] = JSON.parse(key) as [string, string, number | null];
    const a = runsFor(
      rowsA.filter((r) => keyOf(r) === key),
      metric,
    );
    const b = runsFor(
      rowsB.filter((r) => keyOf(r) === key),
      metric,
    );
    const [hostsA, hostsB] = [hostsOf(a), hostsOf(b)];
    const pairs = pairRuns(a, b, maxGapNs);
    const opts = { direction, marginPct: margin.marginPct, names };
    let comparison: Comparison;
    if (pairs.length > 0) {
      comparison = comparePairs(pairs, opts);
      const unpaired = a.length + b.length - 2 * pairs.length;
      if (unpaired > 0)
        comparison = { ...comparison, reason: `${comparison.reason}; ${unpaired} run(s) without a partner on their host within the window left out` };
    } else {
      const latest = [...a, ...b].reduce((m, r) => (r.startNs > m ? r.startNs : m), 0n);
      comparison = compareRuns({ runs: b }, { runs: a }, latest, opts);
      const confounded = hostsA.length === 1 && hostsB.length === 1 && hostsA[0] !== hostsB[0];
      if (confounded && DECISIVE[comparison.verdict])
        comparison = {
          ...comparison,
          verdict: 'inconclusive',
          reason: `${o.variantA} ran only on ${hostsA[0]} and ${o.variantB} only on ${hostsB[0]}: the hosts' difference cannot be told from the variants' (the interval is what the runs say; ${comparison.reason})`,
        };
      else if (comparison.verdict !== 'unmeasurable' && a.length && b.length)
        comparison = { ...comparison, reason: `${comparison.reason}; unpaired: no host where both ran (host-to-host differences count as run-to-run spread)` };
    }
    return {
      metric,
      direction,
      virt,
      profile,
      threads,
      runsA: a.length,
      runsB: b.length,
      nA: a.reduce((s, r) => s + r.values.length, 0),
      nB: b.reduce((s, r) => s + r.values.length, 0),
      hostsA,
      hostsB,
      paired: pairs.length > 0,
      pairs: pairs.length,
      meanA: comparison.referenceMean,
      meanB: comparison.candidateMean,
      comparison,
      margin,
      changePct: comparison.overheadPct ?? NaN,
    };
  });
}

/** Variant B against variant A from InfluxDB: every successful run of each since `since`, compared per profile and thread count. */
export async function compareVariants(o: CompareVariantsOptions): Promise<VariantComparison[]> {
  if (!metricDirection(o.metric)) throw new Error(`compareVariants: unknown metric '${o.metric}'`);
  const metric = o.metric as ResultField;
  const tags = {
    group: o.group,
    test: o.test,
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(o.agent !== undefined ? { agent: o.agent } : {}),
    ...((o.role ?? 'guest') !== 'any' ? { role: o.role ?? 'guest' } : {}),
  };
  // Both variants in one request, only the fields the comparison reads (not every metric's).
  const fields = ['run_id', 'threads', 'ok', 'disturbed', 'clock_skew_s', metric, `${metric}${RESOLUTION_SUFFIX}`];
  const from = BigInt(o.since.getTime()) * 1_000_000n;
  const answers = await o.store.selectMany(
    [o.variantA, o.variantB].map((variant) => ({ measurement: 'sysbench' as const, where: { tags: { ...tags, variant }, from }, fields })),
  );
  const [rowsA, rowsB] = answers.map((rows) =>
    sysbenchRows(rows).filter((r) => r.ok && (o.threads === undefined || r.threads === o.threads) && r.values[metric] !== undefined),
  ) as [SysbenchRow[], SysbenchRow[]];
  if (rowsA.length === 0) throw new Error(`compareVariants: no ${o.metric} results for variant '${o.variantA}' in group '${o.group}', test '${o.test}'`);
  if (rowsB.length === 0) throw new Error(`compareVariants: no ${o.metric} results for variant '${o.variantB}' in group '${o.group}', test '${o.test}'`);
  return compareVariantRows(rowsA, rowsB, metric, o);
}
