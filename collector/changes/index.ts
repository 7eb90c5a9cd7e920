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
import { MEASUREMENTS } from '../../schema/influx.js';
import type { WriteListener, WrittenResult } from '../listener.js';
import { factsWindow } from '../facts/index.js';
import type { Row, Store, StorePoint } from '../store/store.js';
import { exactTags, pointKey, rowKey, sameContent } from '../store/compare.js';
import { detectChanges, type ChangeDetectionOptions, type SeriesVerdict } from './detect.js';
import { bound, guestTags, queryOverhead, seriesId, toSeries, type GuestTestKey, type OverheadSeries } from './series.js';

export { detectChanges, DEFAULT_CHANGE_OPTIONS, type ChangeDetectionOptions, type ChangeRecord, type OverheadRun, type SeriesVerdict } from './detect.js';
export { readOverheadSeries, TAG_FACTS, type GuestTestKey, type OverheadSeries } from './series.js';

export const DEFAULT_LOOKBACK_MS = 400 * 86_400_000;
/** 400 days of 6-hourly runs. */
export const DEFAULT_MAX_RUNS = 1600;

export interface ChangeDetectorOptions {
  /** Where the overhead series and the agents' facts are read and the change points written. */
  store: Store;
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
const SERIES_TAGS: readonly string[] = MEASUREMENTS.overhead_series.tags;
/** What the detector writes of a guest's test: its change points, and one verdict per series (report --changes reads both). */
const DERIVED = [
  { measurement: 'overhead_change', tags: CHANGE_TAGS },
  { measurement: 'overhead_series', tags: SERIES_TAGS },
] as const;
/** Analyses of one guest's test when another collector keeps writing its change points meanwhile. */
const MAX_ATTEMPTS = 3;

const keyString = (k: GuestTestKey) => JSON.stringify([k.group, k.agent, k.test, k.profile]);

export function createChangeDetector(options: ChangeDetectorOptions): ChangeDetector {
  const { store } = options;
  const lookbackNs = BigInt(Math.round(options.lookbackMs ?? DEFAULT_LOOKBACK_MS)) * 1_000_000n;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (!(maxRuns >= 1)) throw new Error(`changes: maxRuns must be at least 1, got ${maxRuns}`);
  const sinceNs = () => BigInt(Date.now()) * 1_000_000n - lookbackNs;

  /** A guest's test as the analysis sees it: its series (bounded) with the facts of each run. */
  async function load(key: GuestTestKey): Promise<Map<string, OverheadSeries>> {
    const since = sinceNs();
    const [history, rows] = await Promise.all([factsWindow(store, key.group, key.agent, since), queryOverhead(store, key, since)]);
    return bound(new Map(toSeries(rows, history).map((s) => [seriesId(s.metric, s.baselineAgent, s.threads), s])), since, maxRuns);
  }

  function analyseSeries(key: GuestTestKey, series: ReadonlyMap<string, OverheadSeries>): SeriesAnalysis[] {
    return [...series.values()]
      .sort((a, b) => (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1))
      .map((s) => ({ key, series: s, verdict: detectChanges(s.runs, options.detection) }));
  }

  /** Each series' verdict, stamped with its first analysed run: what `report --changes` lists. */
  function verdictPoints(key: GuestTestKey, analyses: readonly SeriesAnalysis[]): StorePoint[] {
    return analyses.map(({ series: s, verdict: v }) => {
      const first = s.runs[0]!;
      const last = s.runs[s.runs.length - 1]!;
      return {
        measurement: 'overhead_series',
        tags: { group: key.group, agent: key.agent, test: key.test, profile: key.profile, metric: s.metric, baseline_agent: s.baselineAgent },
        fields: {
          status: v.status,
          runs: v.runs,
          ...(v.status === 'too-short' ? { needed: v.needed } : { changes: v.changes.length }),
          ...(s.threads !== null ? { threads: s.threads } : {}),
          first_run_id: first.runId,
          last_run_id: last.runId,
          last_ns: last.timeNs.toString(),
        },
        timestamp: first.timeNs.toString(),
      };
    });
  }

  function pointsOf(analyses: readonly SeriesAnalysis[]): StorePoint[] {
    const points = new Map<string, StorePoint>();
    for (const a of analyses) {
      if (a.verdict.status !== 'analysed') continue;
      for (const c of a.verdict.changes) {
        const p: StorePoint = {
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

  /** The guest's stored points of one derived measurement. */
  const stored = (measurement: (typeof DERIVED)[number]['measurement'], key: GuestTestKey) => store.select({ measurement, where: { tags: guestTags(key) } });

  /** The stored set is exactly `points` (series, time and content). */
  const isExactly = (rows: readonly Row[], points: readonly StorePoint[], tags: readonly string[]) => {
    const byKey = new Map(points.map((p) => [pointKey(p, tags), p]));
    return (
      rows.length === points.length &&
      rows.every((r) => {
        const p = byKey.get(rowKey(r, tags));
        return p !== undefined && sameContent(r, p, tags);
      })
    );
  };

  async function recompute(key: GuestTestKey): Promise<number> {
    let changes: StorePoint[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const analyses = analyseSeries(key, await load(key));
      changes = pointsOf(analyses);
      const wanted = [changes, verdictPoints(key, analyses)];
      const before = await Promise.all(DERIVED.map((d) => stored(d.measurement, key)));
      // New or changed points first, then the stale ones go, each by its exact series and time.
      const write: StorePoint[] = [];
      const stale: Array<{ measurement: (typeof DERIVED)[number]['measurement']; tags: Record<string, string>; at: bigint }> = [];
      DERIVED.forEach(({ measurement, tags }, i) => {
        const fresh = new Map(wanted[i]!.map((p) => [pointKey(p, tags), p]));
        const have = new Map(before[i]!.map((r) => [rowKey(r, tags), r]));
        for (const [k, p] of fresh) if (!have.has(k) || !sameContent(have.get(k)!, p, tags)) write.push(p);
        for (const [k, r] of have) if (!fresh.has(k)) stale.push({ measurement, tags: exactTags(r, tags), at: r.timeNs });
      });
      if (write.length === 0 && stale.length === 0) return changes.length;
      if (write.length > 0) await store.write(write);
      for (const d of stale) await store.delete(d.measurement, { tags: d.tags, from: d.at, to: d.at });
      const after = await Promise.all(DERIVED.map((d) => stored(d.measurement, key)));
      if (DERIVED.every(({ tags }, i) => isExactly(after[i]!, wanted[i]!, tags))) return changes.length;
    }
    return changes.length;
  }

  /** Guests of a group with overhead for a test: those a baseline result may have moved. */
  async function guestsOf(group: string, test: string, profile: string): Promise<string[]> {
    return store.tagValues('overhead', 'agent', { tags: { group, test, profile } });
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
