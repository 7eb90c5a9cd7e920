// The rollup engine (issue 26, docs/scaling.md "Rollups"): for any daily rollup (daily.ts's
// RollupSpec) the listener that rolls up again each day a batch of results touched, for the
// agents it touched, and the start fill that rolls up every day whose source points the rollup
// does not count. A day is read back from the store and rolled up whole, so replays, restarts and
// two collectors write the same point. Its rollups: history.ts (the 5-minute windows), trials.ts.
import { measurementRef, type RetentionSettings } from '../../schema/retention.js';
import { quoteIdent } from '../../schema/influxql.js';
import type { RawQuery } from '../influx/http.js';
import type { WriteListener, WrittenResult } from '../listener.js';
import type { Store, Where } from '../store/store.js';
import { DAY_NS, dayOf, rollupDay, sourceFields, type RollupSpec } from './daily.js';

export const dayWhere = (dayNs: bigint, agents?: readonly string[]): Where => ({
  ...(agents ? { tags: { agent: agents } } : {}),
  from: dayNs,
  to: dayNs + DAY_NS - 1n,
});

/** Rolls up one UTC day of the agents given (every agent when none): reads its source points, writes its points. Returns points written. */
export async function rollUpDay(spec: RollupSpec, store: Store, dayNs: bigint, agents?: readonly string[]): Promise<number> {
  const rows = await store.select({ measurement: spec.source, where: dayWhere(dayNs, agents), fields: sourceFields(spec) });
  const points = rollupDay(spec, dayNs, rows);
  for (let i = 0; i < points.length; i += 5000) await store.write(points.slice(i, i + 5000));
  return points.length;
}

/** The agents and days a batch of results touched: each result's day and the day `lookBackMs` before it. */
export function touchedDays(results: readonly WrittenResult[], lookBackMs: number): Map<bigint, Set<string>> {
  const days = new Map<bigint, Set<string>>();
  const before = BigInt(lookBackMs) * 1_000_000n;
  for (const r of results) {
    const agent = r.tags.agent;
    if (!agent) continue;
    const t = BigInt(r.timestamp_ns);
    for (const d of new Set([dayOf(t - before), dayOf(t)])) {
      const s = days.get(d) ?? new Set<string>();
      s.add(agent);
      days.set(d, s);
    }
  }
  return days;
}

/**
 * The listener: after each batch, each touched day of the touched agents rolled up again, oldest
 * day first; `before` runs first for each (the History rollup downsamples the day's samples there).
 */
export function createRollupListener(spec: RollupSpec, store: Store, before?: (where: Where) => Promise<void>): WriteListener {
  return {
    name: `${spec.measurement} rollup`,
    owed: true,
    async onResultsWritten(results) {
      for (const [day, agents] of [...touchedDays(results, spec.lookBackMs)].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const where = dayWhere(day, [...agents].sort());
        await before?.(where);
        await rollUpDay(spec, store, day, where.tags!.agent as string[]);
      }
    },
  };
}

/**
 * Each statement's answer (GROUP BY time, one value a bucket) as bucket start (ns) → value, in the
 * statements' order: what the start fills compare (this level's and the one it is made from). One request.
 */
export async function bucketValues(query: RawQuery, statements: readonly string[], what: string): Promise<Array<Map<bigint, number>>> {
  const answer = await query(statements.join('; '));
  return statements.map((_, i) => {
    const result = answer.results?.[i];
    const error = answer.error ?? result?.error;
    if (error) throw new Error(`${what}: ${error}`);
    const out = new Map<bigint, number>();
    for (const s of result?.series ?? []) for (const v of s.values) out.set(BigInt(String(v[0])), Number(v[1]));
    return out;
  });
}

/** Rolls up, oldest first, each bucket of `source` whose value `rolled` does not hold exactly. Returns the buckets rolled up. */
export async function rollUpDiffering(
  source: ReadonlyMap<bigint, number>,
  rolled: ReadonlyMap<bigint, number>,
  rollUp: (bucket: bigint) => Promise<unknown>,
): Promise<number> {
  let n = 0;
  for (const [bucket, value] of [...source].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (rolled.get(bucket) === value) continue;
    await rollUp(bucket);
    n++;
  }
  return n;
}

/** Per UTC day (ns → count): the source points that count and those the rollup counts (Σ`countField`). */
async function dayCounts(
  spec: RollupSpec,
  query: RawQuery,
  retention: RetentionSettings,
  nowMs: number,
): Promise<{ stored: Map<bigint, number>; rolled: Map<bigint, number> }> {
  const until = `time < ${(dayOf(BigInt(nowMs) * 1_000_000n) + 2n * DAY_NS).toString()}`;
  const only = spec.only ? ` AND ${quoteIdent(spec.only.field)} = ${String(spec.only.value)}` : '';
  const [stored, rolled] = await bucketValues(
    query,
    [
      `SELECT count(${quoteIdent(spec.counted)}) FROM ${measurementRef(spec.source, retention)} WHERE time >= 0 AND ${until}${only} GROUP BY time(1d) fill(none)`,
      `SELECT sum(${quoteIdent(spec.countField)}) FROM ${measurementRef(spec.measurement, retention)} WHERE time >= 0 AND ${until} GROUP BY time(1d) fill(none)`,
    ],
    `counting the days of ${spec.measurement}`,
  );
  return { stored: stored!, rolled: rolled! };
}

/**
 * At start: rolls up every day whose source points the rollup does not count exactly (a database
 * from before it, a crash between a write and its rollup), jumping over days without any. Returns the days rolled up.
 */
export async function fillRollup(spec: RollupSpec, store: Store, query: RawQuery, retention: RetentionSettings, nowMs = Date.now()): Promise<number> {
  const { stored, rolled } = await dayCounts(spec, query, retention, nowMs);
  return rollUpDiffering(stored, rolled, (day) => rollUpDay(spec, store, day));
}
