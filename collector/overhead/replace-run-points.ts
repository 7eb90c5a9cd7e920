// Writes a run's recomputed comparison points so that they replace what was stored for the run.
// InfluxDB merges a point's fields into the one already stored at the same series and time, so a
// recompute that writes fewer fields (an interval that no longer exists because the nearest
// baseline run now has one trial, layers that cannot be multiplied because a trial is 0) would
// leave the old fields beside the new ratio, and a point under another baseline_agent would stay
// as a second answer for the run. When the stored points hold anything the new ones do not, they
// are deleted first.
import type { InfluxDB, IPoint } from 'influx';
import { MEASUREMENTS } from '../../schema/influx.js';
import { eq, quoteIdent, timeBetween } from '../../schema/influxql.js';
import { coveredBy, type StoredRow } from '../influx/stored.js';

/** The points of one agent's test and profile in a group: where a run's comparison points live. */
export function runSeriesWhere(group: string, agent: string, test: string, profile: string): string {
  return [eq('group', group), eq('agent', agent), eq('test', test), eq('profile', profile)].join(' AND ');
}

/**
 * `where` selects the run's points (group, agent, test, profile); every point in `points` is
 * stamped `startNs`. Returns whether the old points had to be deleted.
 */
export async function replaceRunPoints(
  influx: InfluxDB,
  database: string,
  measurement: 'overhead' | 'overhead_chain',
  where: string,
  startNs: bigint,
  points: readonly IPoint[],
): Promise<boolean> {
  const tags: readonly string[] = MEASUREMENTS[measurement].tags;
  const at = `${where} AND ${timeBetween(startNs, startNs)}`;
  const stored = (await influx.query(`SELECT * FROM ${quoteIdent(measurement)} WHERE ${at}`, { database })) as unknown as StoredRow[];
  const replace = !stored.every((row) => coveredBy(row, points, tags));
  if (replace) await influx.query(`DELETE FROM ${quoteIdent(measurement)} WHERE ${at}`, { database });
  if (points.length > 0) await influx.writePoints([...points], { database, precision: 'n' });
  return replace;
}
