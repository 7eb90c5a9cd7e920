// A/B comparison of two variants (e.g. stock-qemu vs patched-qemu) of one group, test and
// metric, by the comparison engine (verdict, change % and its interval), plus Welch's difference of means.
import type { InfluxDB } from 'influx';
import type { ResultField } from '../../schema/sysbench.js';
import { runsOf, chooseMargin, compareSamples, type Comparison, type Margin } from '../../lib/compare/index.js';
import { mean, welchTTest } from '../../lib/stats/stats.js';
import { metricDirection, type Direction } from '../../schema/metrics.js';
import { eq } from '../../schema/influxql.js';
import { querySysbench } from './rows.js';
import { sampleOf } from './compute.js';

export interface VariantComparison {
  metric: string;
  direction: Direction;
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** B against A by the comparison engine: verdict, ratio, change % and their intervals. */
  comparison: Comparison;
  margin: Margin;
  /** meanB − meanA and its Welch interval (null with fewer than 2 values on a side). */
  diff: number;
  diffLow: number | null;
  diffHigh: number | null;
  t: number | null;
  df: number | null;
  p: number | null;
  /** How much worse B is than A in percent (positive = B worse); NaN when a mean is not > 0. */
  changePct: number;
}

export interface CompareVariantsOptions {
  influx: InfluxDB;
  database: string;
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
  /** Equivalence margin in percent (default: variant A's run-to-run noise floor). */
  marginPct?: number | null;
}

/** Every successful trial of each variant since `since` is one sample value. */
export async function compareVariants(o: CompareVariantsOptions): Promise<VariantComparison> {
  if (!metricDirection(o.metric)) throw new Error(`compareVariants: unknown metric '${o.metric}'`);
  const rowsOf = async (variant: string) => {
    const where = [eq('group', o.group), eq('test', o.test), eq('variant', variant), `time >= ${BigInt(o.since.getTime()) * 1_000_000n}`];
    if (o.profile !== undefined) where.push(eq('profile', o.profile));
    if (o.agent !== undefined) where.push(eq('agent', o.agent));
    if ((o.role ?? 'guest') !== 'any') where.push(eq('role', o.role ?? 'guest'));
    const rows = await querySysbench(o.influx, o.database, where.join(' AND '));
    return rows.filter((r) => r.ok && (o.threads === undefined || r.threads === o.threads) && r.values[o.metric as ResultField] !== undefined);
  };
  const [rowsA, rowsB] = [await rowsOf(o.variantA), await rowsOf(o.variantB)];
  if (rowsA.length === 0) throw new Error(`compareVariants: no ${o.metric} results for variant '${o.variantA}' in group '${o.group}', test '${o.test}'`);
  if (rowsB.length === 0) throw new Error(`compareVariants: no ${o.metric} results for variant '${o.variantB}' in group '${o.group}', test '${o.test}'`);
  const metric = o.metric as ResultField;
  const direction = metricDirection(metric)!;
  // Every trial of the period is one value (run-to-run drift counts as spread); the margin is
  // variant A's noise floor from its run means, like a guest's margin is its baseline's.
  const a = sampleOf(rowsA, metric);
  const b = sampleOf(rowsB, metric);
  const margin = chooseMargin(
    runsOf(rowsA).map((r) => mean(r.trials.map((t) => t.values[metric]!))),
    o.marginPct,
  );
  const w = a.values.length >= 2 && b.values.length >= 2 ? welchTTest(b.values, a.values) : null;
  const comparison = compareSamples(b, a, { direction, marginPct: margin.marginPct });
  return {
    metric,
    direction,
    nA: a.values.length,
    nB: b.values.length,
    meanA: mean(a.values),
    meanB: mean(b.values),
    comparison,
    margin,
    diff: mean(b.values) - mean(a.values),
    diffLow: w?.low ?? null,
    diffHigh: w?.high ?? null,
    t: w?.t ?? null,
    df: w?.df ?? null,
    p: comparison.p,
    changePct: comparison.overheadPct ?? NaN,
  };
}
