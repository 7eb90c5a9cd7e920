// Daily rollups (issue 26, docs/scaling.md "Rollups"): one point per series per UTC day holding,
// per metric, the count, sum, sum of squares, min and max of the day's source points. From them
// a panel gets, over any union of whole days and across series, what it gets from the source
// points: mean = Σsum/Σn, min of the mins, max of the maxes, count = Σn, and the sample stddev
// √((Σsq − (Σsum)²/Σn)/(Σn − 1)). The points are a function of the day's stored source points
// only, so recomputing a day (a replay, a restart, two collectors) writes the same point.
import { ROLLUP_AGGREGATES, type Measurement } from '../../schema/influx.js';
import type { FieldValue, Row, StorePoint } from '../store/store.js';

export const DAY_MS = 86_400_000;
export const DAY_NS = BigInt(DAY_MS) * 1_000_000n;

/** The start of the UTC day holding `ns` (InfluxDB's GROUP BY time(1d) buckets). */
export function dayOf(ns: bigint): bigint {
  const d = (ns / DAY_NS) * DAY_NS;
  return d > ns ? d - DAY_NS : d;
}

/** What a rollup reads of each metric `m` of its source point: the value, and what its min and max come from. */
export interface RollupSpec {
  measurement: Measurement;
  source: Measurement;
  metrics: readonly string[];
  /** The source column the count, sum and sum of squares take (`m` itself, or `m_mean` of a 5-minute window). */
  value(m: string): string;
  min(m: string): string;
  max(m: string): string;
  /** Counts the source points of a series' day that count (`windows` of the History rollup, `trials` of the trials'). */
  countField: string;
  /** The source field the start fill counts per day to compare with Σ`countField` (one every source point that counts has). */
  counted: string;
  /** Only source points whose `field` holds `value` count (the trials rollup: ok trials). */
  only?: { field: string; value: boolean };
  /** How long before a result its source points may lie (the day before a result is rolled up too when within it). */
  lookBackMs: number;
  /** A rollup that is not per metric (report-days.ts): the source fields it reads and its points of a day's rows, instead of the metrics' aggregates. */
  custom?: { read: readonly string[]; pointsOf(dayNs: bigint, rows: readonly Row[]): StorePoint[] };
}

/** The source columns a rollup reads (its `only` field and the counted one too). */
export function sourceFields(spec: RollupSpec): string[] {
  if (spec.custom) return [...spec.custom.read];
  return [...new Set([...spec.metrics.flatMap((m) => [spec.value(m), spec.min(m), spec.max(m)]), ...(spec.only ? [spec.only.field] : []), spec.counted])];
}

const num = (v: FieldValue | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The rollup points of one UTC day from its source rows (oldest first, as the store returns
 * them; any series mixed): one per series holding any metric. The sum runs in time order, as
 * InfluxDB's mean() over the same points does, so Σsum/Σn of one series' day is its mean to the bit.
 */
export function rollupDay(spec: RollupSpec, dayNs: bigint, rows: readonly Row[]): StorePoint[] {
  if (spec.custom) return spec.custom.pointsOf(dayNs, rows);
  const bySeries = new Map<string, { tags: Record<string, string>; rows: Row[] }>();
  for (const r of rows) {
    if (r.timeNs < dayNs || r.timeNs >= dayNs + DAY_NS) throw new Error(`rollup of day ${dayNs}: a row at ${r.timeNs} is outside it`);
    if (spec.only && r.fields[spec.only.field] !== spec.only.value) continue;
    const key = JSON.stringify(Object.entries(r.tags).sort());
    const s = bySeries.get(key);
    if (s) s.rows.push(r);
    else bySeries.set(key, { tags: r.tags, rows: [r] });
  }
  const points: StorePoint[] = [];
  for (const { tags, rows: series } of bySeries.values()) {
    const fields: Record<string, number> = {};
    for (const m of spec.metrics) {
      let n = 0;
      let sum = 0;
      let sq = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of series) {
        const v = r.fields[spec.value(m)];
        if (!num(v)) continue;
        n++;
        sum += v;
        sq += v * v;
        const a = r.fields[spec.min(m)];
        const b = r.fields[spec.max(m)];
        if (num(a) && a < lo) lo = a;
        if (num(b) && b > hi) hi = b;
      }
      if (n === 0) continue;
      const agg: Record<(typeof ROLLUP_AGGREGATES)[number], number> = { n, sum, sq, min: lo, max: hi };
      for (const a of ROLLUP_AGGREGATES) if (Number.isFinite(agg[a])) fields[`${m}_${a}`] = agg[a];
    }
    if (Object.keys(fields).length === 0) continue;
    fields[spec.countField] = series.length;
    points.push({ measurement: spec.measurement, tags, fields, timestamp: dayNs.toString() });
  }
  return points;
}
