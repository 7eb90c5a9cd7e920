// A/B comparison of two variants (e.g. stock-qemu vs patched-qemu) of one group, test and
// metric: difference of the means, its 95 % interval and Welch's t-test.
import type { InfluxDB } from 'influx';
import { mean, ratioCi, welchTTest } from './stats.js';
import { metricDirection, overheadPct, overheadPctInterval, type Direction } from '../../schema/metrics.js';
import { eq } from '../../schema/influxql.js';
import { querySysbench } from './rows.js';

export interface VariantComparison {
  metric: string;
  direction: Direction;
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** meanB − meanA, and its confidence interval (Welch). */
  diff: number;
  diffLow: number | null;
  diffHigh: number | null;
  /** meanB / meanA and its interval (delta method on the log scale). */
  ratio: number;
  ratioLow: number | null;
  ratioHigh: number | null;
  /** How much worse B is than A in percent (positive = B worse), same formula as overhead_pct. */
  changePct: number;
  changeLowPct: number | null;
  changeHighPct: number | null;
  /** Welch's t-test, two-sided; null with fewer than 2 values on a side. */
  t: number | null;
  df: number | null;
  p: number | null;
  significant: boolean | null;
  level: number;
}

/** Compares sample b against sample a (a is the reference). */
export function compareSamples(a: readonly number[], b: readonly number[], metric: string, level = 0.95): VariantComparison {
  const direction = metricDirection(metric);
  if (!direction) throw new Error(`compare: no direction known for metric '${metric}' (see METRIC_DIRECTIONS)`);
  if (a.length === 0 || b.length === 0) throw new Error(`compare: both variants need results (got ${a.length} and ${b.length} values of ${metric})`);
  const meanA = mean(a);
  const meanB = mean(b);
  const ratio = meanB / meanA;
  const enough = a.length >= 2 && b.length >= 2;
  const w = enough ? welchTTest(b, a, level) : null;
  const r = enough && meanA > 0 && meanB > 0 ? ratioCi(b, a, level) : null;
  const change = r ? overheadPctInterval(r.low, r.high, direction) : null;
  return {
    metric,
    direction,
    nA: a.length,
    nB: b.length,
    meanA,
    meanB,
    diff: meanB - meanA,
    diffLow: w?.low ?? null,
    diffHigh: w?.high ?? null,
    ratio,
    ratioLow: r?.low ?? null,
    ratioHigh: r?.high ?? null,
    changePct: meanA > 0 && meanB > 0 ? overheadPct(ratio, direction) : NaN,
    changeLowPct: change?.[0] ?? null,
    changeHighPct: change?.[1] ?? null,
    t: w?.t ?? null,
    df: w?.df ?? null,
    p: w?.p ?? null,
    significant: w ? w.p < 1 - level : null,
    level,
  };
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
  level?: number;
}

/** Every successful trial of each variant since `since` is one sample value. */
export async function compareVariants(o: CompareVariantsOptions): Promise<VariantComparison> {
  if (!metricDirection(o.metric)) throw new Error(`compareVariants: unknown metric '${o.metric}'`);
  const sample = async (variant: string) => {
    const where = [eq('group', o.group), eq('test', o.test), eq('variant', variant), `time >= ${BigInt(o.since.getTime()) * 1_000_000n}`];
    if (o.profile !== undefined) where.push(eq('profile', o.profile));
    if (o.agent !== undefined) where.push(eq('agent', o.agent));
    if ((o.role ?? 'guest') !== 'any') where.push(eq('role', o.role ?? 'guest'));
    const rows = await querySysbench(o.influx, o.database, where.join(' AND '));
    return rows
      .filter((r) => r.ok && (o.threads === undefined || r.threads === o.threads))
      .map((r) => r.values[o.metric as keyof typeof r.values])
      .filter((v): v is number => v !== undefined);
  };
  const [a, b] = [await sample(o.variantA), await sample(o.variantB)];
  if (a.length === 0) throw new Error(`compareVariants: no ${o.metric} results for variant '${o.variantA}' in group '${o.group}', test '${o.test}'`);
  if (b.length === 0) throw new Error(`compareVariants: no ${o.metric} results for variant '${o.variantB}' in group '${o.group}', test '${o.test}'`);
  return compareSamples(a, b, o.metric, o.level);
}
