// The change-point driver: after `overhead` points were (re)computed for a guest, recompute
// the change points of all that guest's overhead series and bring its `overhead_change` points
// up to date.
//
// Nothing is kept between batches (issue 26): a fleet touches every guest × test every six hours,
// in a cycle no bounded cache survives, and keeping a year of runs per series for a thousand guests
// took gigabytes. Each analysis reads the guest's series whole (the last 400 days, at most maxRuns
// runs a series) and its stored change points; the collector's queue runs one analysis per guest
// however many batches touched it meanwhile (owed.ts). Guests of a group's test are analysed
// GUESTS_PER_READ at a time, each group of them with one read (on InfluxDB two requests at once: the
// overhead points per series, the rest as rows), one write, the deletes and one check.
// Idempotent and safe with several collectors: the change points are a function of the stored
// series alone, and they are written before the stale ones are deleted, each by its exact series
// and time — never "delete the guest's points, then write" — so a reader never sees them missing
// and two collectors computing the same guest leave one set, not two. When the stored set is not
// what this analysis wrote (another collector wrote meanwhile), it analyses again on what is
// stored now (up to 3 times): the last to finish has read the newest data.
import { MEASUREMENTS } from '../../schema/influx.js';
import { groupBy } from '../../lib/group-by.js';
import { readAhead, valueOf } from '../../lib/read-ahead.js';
import type { WriteListener, WrittenResult } from '../listener.js';
import type { Row, SeriesAnswer, Store, StorePoint, Where } from '../store/store.js';
import { exactTags, pointKey, rowKey, sameContent } from '../store/compare.js';
import { detectChanges, runsNeeded, type ChangeDetectionOptions, type SeriesVerdict } from './detect.js';
import {
  bound,
  guestRows,
  guestsSelections,
  seriesId,
  seriesOfAnswers,
  toSeries,
  type GuestsOfTest,
  type GuestTestKey,
  type OverheadSeries,
} from './series.js';

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
  /** Guests of a group's test analysed with one read (default GUESTS_PER_READ). */
  guestsPerRead?: number;
  /** Read the overhead points as rows even where the store answers per series (the slow path, which tests hold the fast one equal to). */
  rows?: boolean;
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

/**
 * Guests whose analyses share a read, a write and a check (issue 26): one guest at a time was ~20
 * requests a guest, ~2 000 for a 100-guest group's baseline run. What a read holds grows with it,
 * and each guest's series is read whole (400 days): 10 guests × a year of 6-hourly runs × ~4
 * metrics is ~58 000 overhead rows (40 would be ~230 000, where one guest's read was ~6 000 and
 * the collector's live heap peaks at ~100 MB: docs/scaling.md "The collector's peak memory").
 * Not yet measured at a year; ~80 requests for a 100-guest group.
 */
export const GUESTS_PER_READ = 10;

const keyString = (k: GuestTestKey) => JSON.stringify([k.group, k.agent, k.test, k.profile]);

/** Rows by their agent tag. */
const byAgent = (rows: readonly Row[]): Map<string, Row[]> => groupBy(rows, (r) => r.tags.agent ?? '');

/** One read's answer for a guest: its series as analysed and its stored derived points (DERIVED's order). */
interface GuestRead {
  series: Map<string, OverheadSeries>;
  stored: Row[][];
}

export function createChangeDetector(options: ChangeDetectorOptions): ChangeDetector {
  const { store } = options;
  const lookbackNs = BigInt(Math.round(options.lookbackMs ?? DEFAULT_LOOKBACK_MS)) * 1_000_000n;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (!(maxRuns >= 1)) throw new Error(`changes: maxRuns must be at least 1, got ${maxRuns}`);
  const guestsPerRead = options.guestsPerRead ?? GUESTS_PER_READ;
  if (!(Number.isInteger(guestsPerRead) && guestsPerRead >= 1))
    throw new Error(`changes: guestsPerRead must be a whole number of at least 1, got ${guestsPerRead}`);
  const sinceNs = () => BigInt(Date.now()) * 1_000_000n - lookbackNs;

  /**
   * The guests' series (bounded) with the facts of each run, and their stored derived points: one
   * request, or with a store that answers per series (InfluxDB's eachSeries) two at once, the
   * overhead points read per series without a Row each (seriesOfAnswers: the same series).
   */
  async function read(g: GuestsOfTest): Promise<Map<string, GuestRead>> {
    const since = sinceNs();
    const tags = { group: g.group, agent: g.agents, test: g.test, profile: g.profile };
    const [opening, inWindow, overhead] = guestsSelections(g, since);
    const derivedSelections = DERIVED.map(({ measurement }) => ({ measurement, where: { tags } }));
    let answers: Row[][];
    let pieces: Map<string, SeriesAnswer[]> | undefined;
    if (store.eachSeries && !options.rows) {
      const each: SeriesAnswer[] = [];
      [answers] = await Promise.all([
        store.selectMany([opening!, inWindow!, ...derivedSelections]),
        store.eachSeries([overhead!], (_, piece) => each.push(piece)),
      ]);
      answers.splice(2, 0, []);
      pieces = groupBy(each, (p) => p.tags.agent ?? '');
    } else answers = await store.selectMany([opening!, inWindow!, overhead!, ...derivedSelections]);
    const derived = DERIVED.map((_, i) => byAgent(answers[3 + i]!));
    const out = new Map<string, GuestRead>();
    for (const [agent, { history, rows }] of guestRows(g, answers)) {
      const all = pieces ? seriesOfAnswers(pieces.get(agent) ?? [], history) : toSeries(rows, history);
      const series = bound(new Map(all.map((s) => [seriesId(s.metric, s.baselineAgent, s.threads), s])), since, maxRuns);
      out.set(agent, { series, stored: derived.map((d) => d.get(agent) ?? []) });
    }
    return out;
  }

  function analyseSeries(key: GuestTestKey, series: ReadonlyMap<string, OverheadSeries>): SeriesAnalysis[] {
    return [...series.values()]
      .sort((a, b) => (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1))
      .map((s) => ({ key, series: s, verdict: detectChanges(s.runs, options.detection) }));
  }

  const needed = runsNeeded(options.detection);

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
          // Both fields whatever the status: InfluxDB keeps a field an overwrite lacks, so a verdict
          // point with fewer fields than the one it replaces (too short, then analysed) would keep
          // the old one's, never equal this answer, and be written and checked again at every run.
          needed,
          changes: v.status === 'too-short' ? 0 : v.changes.length,
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
    const g = { group: key.group, test: key.test, profile: key.profile, agents: [key.agent] };
    return analyseSeries(key, (await read(g)).get(key.agent)!.series);
  }

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

  /**
   * Brings the stored points of several guests of one group's test to their analyses' answer, in a
   * bounded number of requests whatever their number: one read, one write, a delete per derived
   * measurement, one read to check; guests whose stored set is not what was written (another
   * collector wrote meanwhile) are analysed again. The change points of each guest.
   */
  async function recomputeGuests(g: GuestsOfTest, firstRead?: Map<string, GuestRead>): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let agents = g.agents;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && agents.length > 0; attempt++) {
      const guests = { ...g, agents };
      const wanted = new Map<string, StorePoint[][]>();
      // New or changed points first, then the stale ones go, each by its exact series and time.
      const write: StorePoint[] = [];
      const stale = DERIVED.map(() => [] as Where[]);
      for (const [agent, { series, stored }] of attempt === 0 && firstRead ? firstRead : await read(guests)) {
        const key = { group: g.group, agent, test: g.test, profile: g.profile };
        const analyses = analyseSeries(key, series);
        const changes = pointsOf(analyses);
        counts.set(agent, changes.length);
        const points = [changes, verdictPoints(key, analyses)];
        let changed = false;
        DERIVED.forEach(({ tags }, i) => {
          const fresh = new Map(points[i]!.map((p) => [pointKey(p, tags), p]));
          const have = new Map(stored[i]!.map((r) => [rowKey(r, tags), r]));
          for (const [k, p] of fresh)
            if (!have.has(k) || !sameContent(have.get(k)!, p, tags)) {
              write.push(p);
              changed = true;
            }
          for (const [k, r] of have)
            if (!fresh.has(k)) {
              stale[i]!.push({ tags: exactTags(r, tags), from: r.timeNs, to: r.timeNs });
              changed = true;
            }
        });
        if (changed) wanted.set(agent, points);
      }
      if (wanted.size === 0) break;
      if (write.length > 0) await store.write(write);
      for (const [i, d] of DERIVED.entries()) if (stale[i]!.length > 0) await store.delete(d.measurement, stale[i]!);
      const tags = { group: g.group, agent: [...wanted.keys()], test: g.test, profile: g.profile };
      const after = (await store.selectMany(DERIVED.map(({ measurement }) => ({ measurement, where: { tags } })))).map(byAgent);
      agents = [...wanted]
        .filter(([agent, points]) => !DERIVED.every(({ tags }, i) => isExactly(after[i]!.get(agent) ?? [], points[i]!, tags)))
        .map(([a]) => a);
    }
    return counts;
  }

  /**
   * Each guest's test, GUESTS_PER_READ guests of a group's test at a time; the change points of
   * each. The next chunk's read is sent once this chunk's has arrived, so InfluxDB answers it
   * while the collector analyses and writes this one (most of a chunk's wall was one waiting on
   * the other: docs/scaling.md). Chunks name disjoint guests, so what this chunk writes or deletes
   * is none of what the next one reads: the same answer as reading after it.
   */
  async function recomputeAll(keys: readonly GuestTestKey[]): Promise<number[]> {
    const byTest = new Map<string, GuestsOfTest & { agents: string[] }>();
    for (const k of keys) {
      const id = JSON.stringify([k.group, k.test, k.profile]);
      const g = byTest.get(id) ?? byTest.set(id, { group: k.group, test: k.test, profile: k.profile, agents: [] }).get(id)!;
      if (!g.agents.includes(k.agent)) g.agents.push(k.agent);
    }
    const chunks: GuestsOfTest[] = [];
    for (const g of byTest.values())
      for (let i = 0; i < g.agents.length; i += guestsPerRead) chunks.push({ ...g, agents: g.agents.slice(i, i + guestsPerRead) });
    const counts = new Map<string, number>();
    for await (const { chunk, answer } of readAhead(chunks, read))
      for (const [agent, n] of await recomputeGuests(chunk, valueOf(answer))) counts.set(keyString({ ...chunk, agent }), n);
    return keys.map((k) => counts.get(keyString(k)) ?? 0);
  }

  async function recompute(key: GuestTestKey): Promise<number> {
    return (await recomputeAll([key]))[0]!;
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
    await recomputeAll([...keys.values()]);
  }

  return { name: 'change point detection', owed: true, analyse, recompute, onResultsWritten };
}
