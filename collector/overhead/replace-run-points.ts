// Writes a run's recomputed comparison points so that they replace what was stored for the run.
// InfluxDB merges a point's fields into the one already stored at the same series and time, so a
// recompute that writes fewer fields (an interval that no longer exists because the nearest
// baseline run now has one trial, layers that cannot be multiplied because a trial is 0) would
// leave the old fields beside the new ratio, and a point under another baseline_agent would stay
// as a second answer for the run. When the stored points hold anything the new ones do not, they
// are deleted first.
import { MEASUREMENTS } from '../../schema/influx.js';
import type { Row, Store, StorePoint } from '../store/store.js';

/** The points of one agent's test and profile in a group: where a run's comparison points live. */
export function runSeries(group: string, agent: string, test: string, profile: string): Record<string, string> {
  return { group, agent, test, profile };
}

/**
 * `series` selects the run's points (group, agent, test, profile); every point in `points` is
 * stamped `startNs`. `stored`: the points stored there, when the caller read them already.
 * Returns whether the old points had to be deleted.
 */
export async function replaceRunPoints(
  store: Store,
  measurement: 'overhead' | 'overhead_chain',
  series: Readonly<Record<string, string>>,
  startNs: bigint,
  points: readonly StorePoint[],
  stored?: readonly Row[],
): Promise<boolean> {
  const tags: readonly string[] = MEASUREMENTS[measurement].tags;
  const at = { tags: series, from: startNs, to: startNs };
  stored ??= await store.select({ measurement, where: at });
  const identity = (get: (tag: string) => string | undefined) => tags.map((t) => get(t) ?? '').join('\0');
  const fresh = new Map(points.map((p) => [identity((t) => p.tags[t]), new Set(Object.keys(p.fields))]));
  const covered = (row: Row) => {
    const fields = fresh.get(identity((t) => row.tags[t]));
    return fields !== undefined && Object.keys(row.fields).every((k) => fields.has(k));
  };
  const replace = !stored.every(covered);
  if (replace) await store.delete(measurement, at);
  if (points.length > 0) await store.write(points);
  return replace;
}
