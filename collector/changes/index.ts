// The change-point driver: after `overhead` points were (re)computed for a guest, recompute
// the change points of all that guest's overhead series and bring its `overhead_change` points
// up to date.
//
// Cheap: the first batch of a guest's test reads its series (the last 400 days) and keeps them
// in memory (at most maxRuns runs a series, maxCached guests × tests); later batches read back
// only the runs a batch can have changed — the batch's time span widened by the overhead
// window, where the overhead calculator may have recomputed guest runs — merge them in,
// re-analyse in memory (milliseconds) and write only the points that changed.
// Idempotent: the change points are a function of the stored series alone (the runs of the
// last lookbackMs, at most maxRuns), so the same results give the same points whatever the
// order, batching or restarts. A restart (or an expired entry, refreshMs) reads the series
// whole again and replaces the guest's points, so points another collector wrote or a crash
// left behind are corrected too.
import type { InfluxDB, IPoint } from 'influx';
import { eq } from '../../schema/influxql.js';
import { DEFAULT_WINDOW_MS } from '../overhead/window.js';
import type { WriteListener, WrittenResult } from '../listener.js';
import { factsHistory } from '../facts/index.js';
import { bound, LruMap, mergeRange } from './cache.js';
import { detectChanges, type ChangeDetectionOptions, type SeriesVerdict } from './detect.js';
import { guestWhere, queryOverhead, seriesId, toSeries, type GuestTestKey, type OverheadSeries } from './series.js';

export { detectChanges, DEFAULT_CHANGE_OPTIONS, type ChangeDetectionOptions, type ChangeRecord, type OverheadRun, type SeriesVerdict } from './detect.js';
export { readOverheadSeries, TAG_FACTS, type GuestTestKey, type OverheadSeries } from './series.js';

export const DEFAULT_LOOKBACK_MS = 400 * 86_400_000;
/** 400 days of 6-hourly runs. */
export const DEFAULT_MAX_RUNS = 1600;
export const DEFAULT_REFRESH_MS = 3_600_000;
export const DEFAULT_MAX_CACHED = 2000;

export interface ChangeDetectorOptions {
  influx: InfluxDB;
  database: string;
  /** How far back a series is analysed (default 400 days). */
  lookbackMs?: number;
  /** Most runs of a series analysed and kept in memory, the newest (default 1600). */
  maxRuns?: number;
  /**
   * A guest's series are read whole again after this long (default 1 h): runs another collector
   * wrote reach this one's memory. 0: keep nothing, read the whole series for every batch.
   */
  refreshMs?: number;
  /** Guests × tests kept in memory (default 2000); the least recently used is forgotten. */
  maxCached?: number;
  /** The overhead calculator's baseline window (default 24 h): how far from a result overhead can have changed. */
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
  /** Reads the series whole and replaces the guest's `overhead_change` points of that test. */
  recompute(key: GuestTestKey): Promise<number>;
  /** The guests whose overhead may have changed with these results, each brought up to date. */
  onResultsWritten(results: readonly WrittenResult[]): Promise<void>;
}

/** What is kept of one guest's test. */
interface Entry {
  series: Map<string, OverheadSeries>;
  /** agent_info facts, oldest first, and the newest time read. */
  history: Array<{ timeNs: bigint; facts: Readonly<Record<string, string>> }>;
  /** The `overhead_change` points last written, by pointId. */
  written: Map<string, IPoint>;
  loadedAtMs: number;
}

const keyString = (k: GuestTestKey) => JSON.stringify([k.group, k.agent, k.test, k.profile]);
/** A change point's identity: its series and time (its tags kind/cause may change). */
const pointId = (p: IPoint) => JSON.stringify([p.tags?.metric, p.tags?.baseline_agent, String(p.timestamp)]);
const sameContent = (a: IPoint, b: IPoint) => JSON.stringify([a.tags, a.fields]) === JSON.stringify([b.tags, b.fields]);

export function createChangeDetector(options: ChangeDetectorOptions): ChangeDetector {
  const { influx, database } = options;
  const lookbackNs = BigInt(Math.round(options.lookbackMs ?? DEFAULT_LOOKBACK_MS)) * 1_000_000n;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  const windowNs = BigInt(Math.round(options.overheadWindowMs ?? DEFAULT_WINDOW_MS)) * 1_000_000n;
  if (!(maxRuns >= 1)) throw new Error(`changes: maxRuns must be at least 1, got ${maxRuns}`);
  if (!(refreshMs >= 0)) throw new Error(`changes: refreshMs must be ≥ 0, got ${refreshMs}`);
  const cache = new LruMap<string, Entry>(options.maxCached ?? DEFAULT_MAX_CACHED);
  const sinceNs = () => BigInt(Date.now()) * 1_000_000n - lookbackNs;

  /** Reads a guest's test whole: its series (bounded) and its facts history. */
  async function load(key: GuestTestKey): Promise<Omit<Entry, 'written'>> {
    const history = await factsHistory(influx, database, key.group, key.agent);
    const since = sinceNs();
    const fresh = toSeries(await queryOverhead(influx, database, key, since), history);
    return { series: bound(new Map(fresh.map((s) => [seriesId(s.metric, s.baselineAgent, s.threads), s])), since, maxRuns), history, loadedAtMs: Date.now() };
  }

  function analyseSeries(key: GuestTestKey, series: ReadonlyMap<string, OverheadSeries>): SeriesAnalysis[] {
    return [...series.values()]
      .sort((a, b) => (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1))
      .map((s) => ({ key, series: s, verdict: detectChanges(s.runs, options.detection) }));
  }

  function pointsOf(analyses: readonly SeriesAnalysis[]): Map<string, IPoint> {
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
        points.set(pointId(p), p);
      }
    }
    return points;
  }

  async function analyse(key: GuestTestKey): Promise<SeriesAnalysis[]> {
    return analyseSeries(key, (await load(key)).series);
  }

  async function recompute(key: GuestTestKey): Promise<number> {
    const loaded = await load(key);
    const points = pointsOf(analyseSeries(key, loaded.series));
    // Replace, not add: a change point that more data moved or dismissed must disappear.
    await influx.query(`DELETE FROM "overhead_change" WHERE ${guestWhere(key)}`, { database });
    if (points.size > 0) await influx.writePoints([...points.values()], { database, precision: 'n' });
    if (refreshMs > 0) cache.set(keyString(key), { ...loaded, written: points });
    return points.size;
  }

  /** Brings a cached guest's test up to date with the runs stored in [fromNs, toNs]. */
  async function update(key: GuestTestKey, fromNs: bigint, toNs: bigint): Promise<void> {
    const entry = cache.get(keyString(key));
    if (!entry || Date.now() - entry.loadedAtMs >= refreshMs) {
      await recompute(key);
      return;
    }
    const last = entry.history.length > 0 ? entry.history[entry.history.length - 1]!.timeNs : undefined;
    entry.history.push(...(await factsHistory(influx, database, key.group, key.agent, last)));
    const fresh = toSeries(await queryOverhead(influx, database, key, fromNs, toNs), entry.history);
    entry.series = bound(mergeRange(entry.series, fresh, fromNs, toNs), sinceNs(), maxRuns);
    const points = pointsOf(analyseSeries(key, entry.series));
    // Only what changed: points gone or rewritten with other tags are deleted first.
    for (const [id, old] of entry.written) {
      const now = points.get(id);
      if (now && sameContent(now, old)) continue;
      const where = [guestWhere(key), eq('metric', String(old.tags!.metric)), eq('baseline_agent', String(old.tags!.baseline_agent))].join(' AND ');
      await influx.query(`DELETE FROM "overhead_change" WHERE ${where} AND time = ${String(old.timestamp)}`, { database });
    }
    const changed = [...points].filter(([id, p]) => !entry.written.has(id) || !sameContent(p, entry.written.get(id)!)).map(([, p]) => p);
    if (changed.length > 0) await influx.writePoints(changed, { database, precision: 'n' });
    entry.written = points;
  }

  /** Guests of a group with overhead for a test: those a baseline result may have moved. */
  async function guestsOf(group: string, test: string, profile: string): Promise<string[]> {
    const where = [eq('group', group), eq('test', test), eq('profile', profile)].join(' AND ');
    const rows = (await influx.query(`SHOW TAG VALUES FROM "overhead" WITH KEY = "agent" WHERE ${where}`, { database })) as unknown as Array<{ value: string }>;
    return rows.map((r) => r.value);
  }

  async function onResultsWritten(results: readonly WrittenResult[]): Promise<void> {
    const keys = new Map<string, { key: GuestTestKey; fromNs: bigint; toNs: bigint }>();
    const add = (key: GuestTestKey, tNs: bigint) => {
      const k = keys.get(keyString(key));
      if (!k) keys.set(keyString(key), { key, fromNs: tNs, toNs: tNs });
      else {
        if (tNs < k.fromNs) k.fromNs = tNs;
        if (tNs > k.toNs) k.toNs = tNs;
      }
    };
    const baselines = new Map<string, { group: string; test: string; profile: string; times: bigint[] }>();
    for (const r of results) {
      const { group, agent, role, test, profile } = r.tags;
      if (!group || !agent || !test || profile === undefined) continue;
      const tNs = BigInt(r.timestamp_ns);
      if (role === 'guest') add({ group, agent, test, profile }, tNs);
      else if (role === 'baseline') {
        const id = JSON.stringify([group, test, profile]);
        const b = baselines.get(id) ?? { group, test, profile, times: [] };
        b.times.push(tNs);
        baselines.set(id, b);
      }
    }
    for (const b of baselines.values())
      for (const g of await guestsOf(b.group, b.test, b.profile))
        for (const t of b.times) add({ group: b.group, agent: g, test: b.test, profile: b.profile }, t);
    // The overhead calculator recomputed guest runs up to a window away from each result.
    for (const { key, fromNs, toNs } of keys.values()) await update(key, fromNs - windowNs, toNs + windowNs);
  }

  return { name: 'change point detection', owed: true, analyse, recompute, onResultsWritten };
}
