// The change-point driver: after `overhead` points were (re)computed for a guest, recompute
// the change points of all that guest's overhead series and rewrite its `overhead_change`
// points. Like `overhead`, it keeps no state: everything is read back from InfluxDB, so a
// recomputation gives the same points and any number of collectors can run.
import type { InfluxDB, IPoint } from 'influx';
import { eq } from '../../schema/influxql.js';
import type { WrittenResult } from '../overhead/index.js';
import { detectChanges, type ChangeDetectionOptions, type SeriesVerdict } from './detect.js';
import { guestWhere, readOverheadSeries, type GuestTestKey, type OverheadSeries } from './series.js';

export { detectChanges, DEFAULT_CHANGE_OPTIONS, type ChangeDetectionOptions, type ChangeRecord, type OverheadRun, type SeriesVerdict } from './detect.js';
export { changedFacts, describeFacts, type Facts, type FactChange } from './facts.js';
export { readOverheadSeries, TAG_FACTS, type GuestTestKey, type OverheadSeries } from './series.js';

export const DEFAULT_LOOKBACK_MS = 400 * 86_400_000;

export interface ChangeDetectorOptions {
  influx: InfluxDB;
  database: string;
  /** How far back a series is read (default 400 days). */
  lookbackMs?: number;
  detection?: ChangeDetectionOptions;
}

export interface SeriesAnalysis {
  key: GuestTestKey;
  series: OverheadSeries;
  verdict: SeriesVerdict;
}

export interface ChangeDetector {
  /** Change points of every overhead series of one guest's test, without writing. */
  analyse(key: GuestTestKey): Promise<SeriesAnalysis[]>;
  /** analyse() and replace the guest's `overhead_change` points of that test with the result. */
  recompute(key: GuestTestKey): Promise<number>;
  /** The guests whose overhead may have changed with these results, each recomputed. */
  onResultsWritten(results: readonly WrittenResult[]): Promise<void>;
}

export function createChangeDetector(options: ChangeDetectorOptions): ChangeDetector {
  const { influx, database } = options;
  const lookbackNs = BigInt(Math.round(options.lookbackMs ?? DEFAULT_LOOKBACK_MS)) * 1_000_000n;

  async function analyse(key: GuestTestKey): Promise<SeriesAnalysis[]> {
    const since = BigInt(Date.now()) * 1_000_000n - lookbackNs;
    const all = await readOverheadSeries(influx, database, key, since);
    return all.map((series) => ({ key, series, verdict: detectChanges(series.runs, options.detection) }));
  }

  async function recompute(key: GuestTestKey): Promise<number> {
    const analyses = await analyse(key);
    const points: IPoint[] = [];
    for (const a of analyses) {
      if (a.verdict.status !== 'analysed') continue;
      for (const c of a.verdict.changes) {
        points.push({
          measurement: 'overhead_change',
          tags: c.tags,
          fields: a.series.threads !== null ? { ...c.fields, threads: a.series.threads } : c.fields,
          timestamp: c.timeNs.toString(),
        });
      }
    }
    // Replace, not add: a change point that more data moved or dismissed must disappear.
    await influx.query(`DELETE FROM "overhead_change" WHERE ${guestWhere(key)}`, { database });
    if (points.length > 0) await influx.writePoints(points, { database, precision: 'n' });
    return points.length;
  }

  /** Guests of a group with overhead for a test: those a baseline result may have moved. */
  async function guestsOf(group: string, test: string, profile: string): Promise<string[]> {
    const where = [eq('group', group), eq('test', test), eq('profile', profile)].join(' AND ');
    const rows = (await influx.query(`SHOW TAG VALUES FROM "overhead" WITH KEY = "agent" WHERE ${where}`, { database })) as unknown as Array<{ value: string }>;
    return rows.map((r) => r.value);
  }

  async function onResultsWritten(results: readonly WrittenResult[]): Promise<void> {
    const keys = new Map<string, GuestTestKey>();
    const add = (k: GuestTestKey) => keys.set(JSON.stringify([k.group, k.agent, k.test, k.profile]), k);
    const baselineSeen = new Set<string>();
    for (const r of results) {
      const { group, agent, role, test, profile } = r.tags;
      if (!group || !agent || !test || profile === undefined) continue;
      if (role === 'guest') add({ group, agent, test, profile });
      else if (role === 'baseline') {
        const id = JSON.stringify([group, test, profile]);
        if (baselineSeen.has(id)) continue;
        baselineSeen.add(id);
        for (const g of await guestsOf(group, test, profile)) add({ group, agent: g, test, profile });
      }
    }
    for (const k of keys.values()) await recompute(k);
  }

  return { analyse, recompute, onResultsWritten };
}
