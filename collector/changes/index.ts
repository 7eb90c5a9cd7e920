// The change-point driver: after `overhead` points were (re)computed for a guest, recompute
// the change points of all that guest's overhead series and bring its `overhead_change` points
// up to date.
//
// Nothing is kept between batches (issue 26): a fleet touches every guest × test every six hours,
// in a cycle no bounded cache survives, and keeping a year of runs per series for a thousand guests
// took gigabytes. Each analysis reads the guest's series whole (the last 400 days, at most maxRuns
// runs a series) and its stored change points; the collector's queue runs one analysis per guest
// however many batches touched it meanwhile (owed.ts).
// Idempotent and safe with several collectors: the change points are a function of the stored
// series alone, and they are written before the stale ones are deleted, each by its exact series
// and time — never "delete the guest's points, then write" — so a reader never sees them missing
// and two collectors computing the same guest leave one set, not two. When the stored set is not
// what this analysis wrote (another collector wrote meanwhile), it analyses again on what is
// stored now (up to 3 times): the last to finish has read the newest data.
import type { InfluxDB, IPoint } from 'influx';
import { eq } from '../../schema/influxql.js';
import { MEASUREMENTS } from '../../schema/influx.js';
import type { WriteListener, WrittenResult } from '../listener.js';
import { factsHistory } from '../facts/index.js';
import { exactPointWhere, pointKey, rowKey, sameContent, type StoredRow } from '../influx/stored.js';
import { detectChanges, type ChangeDetectionOptions, type SeriesVerdict } from './detect.js';
import { bound, guestWhere, queryOverhead, seriesId, toSeries, type GuestTestKey, type OverheadSeries } from './series.js';

export { detectChanges, DEFAULT_CHANGE_OPTIONS, type ChangeDetectionOptions, type ChangeRecord, type OverheadRun, type SeriesVerdict } from './detect.js';
export { readOverheadSeries, TAG_FACTS, type GuestTestKey, type OverheadSeries } from './series.js';

export const DEFAULT_LOOKBACK_MS = 400 * 86_400_000;
/** 400 days of 6-hourly runs. */
export const DEFAULT_MAX_RUNS = 1600;

export interface ChangeDetectorOptions {
  influx: InfluxDB;
  database: string;
  /** How far back a series is analysed (default 400 days). */
  lookbackMs?: number;
  /** Most runs of a series analysed and kept in memory, the newest (default 1600). */
  maxRuns?: number;
  /** Accepted for the collector's composition; analyses read the whole series, so it changes nothing. */
  overheadWindowMs?: number;
  detection?: ChangeDetectionOptions;
}

export interface SeriesAnalysis {
  key: GuestTestKey;
  series: OverheadSeries;
  verdict: SeriesVerdict;
}

export interface ChangeDetector extends WriteListener {
  /** Change points of every overhead series of one guest's test, read whole, without writing. */
  analyse(key: GuestTestKey): Promise<SeriesAnalysis[]>;
  /** Analyses the guest's test and brings its stored `overhead_change` points to exactly that answer. */
  recompute(key: GuestTestKey): Promise<number>;
  /** The guests whose overhead may have changed with these results, each brought up to date. */
  onResultsWritten(results: readonly WrittenResult[]): Promise<void>;
}

const CHANGE_TAGS: readonly string[] = MEASUREMENTS.overhead_change.tags;
/** Analyses of one guest's test when another collector keeps writing its change points meanwhile. */
const MAX_ATTEMPTS = 3;

const keyString = (k: GuestTestKey) => JSON.stringify([k.group, k.agent, k.test, k.profile]);

export function createChangeDetector(options: ChangeDetectorOptions): ChangeDetector {
  const { influx, database } = options;
  const lookbackNs = BigInt(Math.round(options.lookbackMs ?? DEFAULT_LOOKBACK_MS)) * 1_000_000n;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (!(maxRuns >= 1)) throw new Error(`changes: maxRuns must be at least 1, got ${maxRuns}`);
  const sinceNs = () => BigInt(Date.now()) * 1_000_000n - lookbackNs;

  /** A guest's test as the analysis sees it: its series (bounded) with the facts of each run. */
  async function load(key: GuestTestKey): Promise<Map<string, OverheadSeries>> {
    const since = sinceNs();
    const [history, rows] = await Promise.all([factsHistory(influx, database, key.group, key.agent), queryOverhead(influx, database, key, since)]);
    return bound(new Map(toSeries(rows, history).map((s) => [seriesId(s.metric, s.baselineAgent, s.threads), s])), since, maxRuns);
  }

  function analyseSeries(key: GuestTestKey, series: ReadonlyMap<string, OverheadSeries>): SeriesAnalysis[] {
    return [...series.values()]
      .sort((a, b) => (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1))
      .map((s) => ({ key, series: s, verdict: detectChanges(s.runs, options.detection) }));
  }

  function pointsOf(analyses: readonly SeriesAnalysis[]): IPoint[] {
    const points = new Map<string, IPoint>();
    for (const a of analyses) {
      if (a.verdict.status !== 'analysed') continue;
      for (const c of a.verdict.changes) {
        const p: IPoint = {
          measurement: 'overhead_change',
          tags: c.tags,
          fields: a.series.threads !== null ? { ...c.fields, threads: a.series.threads } : c.fields,
          timestamp: c.timeNs.toString(),
        };
        points.set(pointKey(p, CHANGE_TAGS), p);
      }
    }
    return [...points.values()];
  }

  async function analyse(key: GuestTestKey): Promise<SeriesAnalysis[]> {
    return analyseSeries(key, await load(key));
  }

  const storedChanges = async (key: GuestTestKey) =>
    (await influx.query(`SELECT * FROM "overhead_change" WHERE ${guestWhere(key)}`, { database })) as unknown as StoredRow[];

  /** The stored set is exactly `points` (series, time and content). */
  const isExactly = (stored: readonly StoredRow[], points: readonly IPoint[]) => {
    const byKey = new Map(points.map((p) => [pointKey(p, CHANGE_TAGS), p]));
    return (
      stored.length === points.length &&
      stored.every((r) => {
        const p = byKey.get(rowKey(r, CHANGE_TAGS));
        return p !== undefined && sameContent(r, p, CHANGE_TAGS);
      })
    );
  };

  async function recompute(key: GuestTestKey): Promise<number> {
    let points: IPoint[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      points = pointsOf(analyseSeries(key, await load(key)));
      const stored = await storedChanges(key);
      const fresh = new Map(points.map((p) => [pointKey(p, CHANGE_TAGS), p]));
      // New or changed points first, then the stale ones go, each by its exact series and time.
      const write = points.filter((p) => !stored.some((r) => sameContent(r, p, CHANGE_TAGS) && rowKey(r, CHANGE_TAGS) === pointKey(p, CHANGE_TAGS)));
      const stale = stored.filter((r) => !fresh.has(rowKey(r, CHANGE_TAGS)));
      if (write.length === 0 && stale.length === 0) return points.length;
      if (write.length > 0) await influx.writePoints(write, { database, precision: 'n' });
      for (const r of stale) await influx.query(`DELETE FROM "overhead_change" WHERE ${exactPointWhere(r, CHANGE_TAGS)}`, { database });
      if (isExactly(await storedChanges(key), points)) return points.length;
    }
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
    const add = (key: GuestTestKey) => keys.set(keyString(key), key);
    const baselines = new Map<string, { group: string; test: string; profile: string }>();
    for (const r of results) {
      const { group, agent, role, test, profile } = r.tags;
      if (!group || !agent || !test || profile === undefined) continue;
      if (role === 'guest') add({ group, agent, test, profile });
      else if (role === 'baseline') baselines.set(JSON.stringify([group, test, profile]), { group, test, profile });
    }
    for (const b of baselines.values())
      for (const g of await guestsOf(b.group, b.test, b.profile)) add({ group: b.group, agent: g, test: b.test, profile: b.profile });
    for (const key of keys.values()) await recompute(key);
  }

  return { name: 'change point detection', owed: true, analyse, recompute, onResultsWritten };
}
