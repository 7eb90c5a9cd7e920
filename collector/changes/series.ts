// Reads one guest's `overhead` points back as series for change detection: one series per
// metric × baseline agent × thread count, in time order.
import { SYSBENCH_TAGS } from '../overhead/rows.js';
import type { OverheadRun } from './detect.js';
import type { Facts } from '../facts/changed.js';
import { factsAt, factsHistory, factsWindow, factsWindowSelections } from '../facts/index.js';
import type { FieldValue, Row, SeriesAnswer, Selection, Store } from '../store/store.js';
import { seriesKey } from '../influx/line.js';

/** One guest's runs of one test and profile in one group. */
export interface GuestTestKey {
  group: string;
  agent: string;
  test: string;
  profile: string;
}

export interface OverheadSeries {
  metric: string;
  baselineAgent: string;
  threads: number | null;
  runs: OverheadRun[];
}

/** Tags that describe the run rather than name the series: a change of one is a fact change. */
export const TAG_FACTS = ['variant', 'sysbench_version', 'virt', 'kvm', 'container', 'host'] as const;

/** The guest's test as the store's tag match. */
export function guestTags(k: GuestTestKey): Record<string, string> {
  return { group: k.group, agent: k.agent, test: k.test, profile: k.profile };
}

/** agent_info facts over time (factsWindow), oldest first. */
export type FactsHistory = ReadonlyArray<{ timeNs: bigint; facts: Facts }>;

/** The guest's overhead series since `sinceNs`, each sorted by time (ties by run id). */
export async function readOverheadSeries(store: Store, key: GuestTestKey, sinceNs: bigint): Promise<OverheadSeries[]> {
  const history = await factsWindow(store, key.group, key.agent, sinceNs);
  return toSeries(await queryOverhead(store, key, sinceNs), history);
}

/** The fields toSeries reads (the rows carry every tag). A year of every field was 3× the reading. */
const SERIES_FIELDS = ['overhead_pct', 'baseline_value', 'run_id', 'baseline_run_id', 'threads'];

/** The guest's `overhead` rows of the test in [fromNs, toNs] (toNs: no upper bound when omitted). */
export async function queryOverhead(store: Store, key: GuestTestKey, fromNs: bigint, toNs?: bigint): Promise<Row[]> {
  return store.select({ measurement: 'overhead', where: { tags: guestTags(key), from: fromNs, to: toNs }, fields: SERIES_FIELDS });
}

/** Guests of one group whose same test and profile are analysed together (one read for all). */
export interface GuestsOfTest {
  group: string;
  test: string;
  profile: string;
  agents: readonly string[];
}

/** What a read of several guests gives each one: its facts over the window and its overhead rows. */
export interface GuestRows {
  history: FactsHistory;
  rows: Row[];
}

/**
 * The selects that read several guests' test from `sinceNs` on in one request (issue 26: one
 * guest at a time was ~5 requests per guest × test, ~2 000 for a 100-guest baseline run):
 * factsWindow's two reads and queryOverhead's, each for every agent at once. guestRows splits the
 * answers back into what each guest alone would have read.
 */
export function guestsSelections(g: GuestsOfTest, sinceNs: bigint): Selection[] {
  return [
    ...factsWindowSelections(g.group, g.agents, sinceNs),
    { measurement: 'overhead', where: { tags: { group: g.group, agent: g.agents, test: g.test, profile: g.profile }, from: sinceNs }, fields: SERIES_FIELDS },
  ];
}

/** The answers of guestsSelections per agent: factsWindow's history and queryOverhead's rows (in their order). */
export function guestRows(g: GuestsOfTest, [opening, inWindow, overhead]: readonly Row[][]): Map<string, GuestRows> {
  const out = new Map<string, { facts: Row[]; rows: Row[] }>(g.agents.map((a) => [a, { facts: [], rows: [] }]));
  for (const r of [...(opening ?? []), ...(inWindow ?? [])]) out.get(r.tags.agent ?? '')?.facts.push(r);
  for (const r of overhead ?? []) out.get(r.tags.agent ?? '')?.rows.push(r);
  return new Map([...out].map(([agent, o]) => [agent, { history: factsHistory(o.facts), rows: o.rows }]));
}

const NO_FACTS: Facts = Object.freeze({});

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Rows grouped into series (metric × baseline agent × threads), runs carrying their facts. */
export function toSeries(rows: readonly Row[], history: FactsHistory): OverheadSeries[] {
  const b = seriesBuilder(history);
  for (const { timeNs, tags, fields: f } of rows) b.add(tags, timeNs, f.overhead_pct, f.baseline_value, f.run_id, f.baseline_run_id, f.threads);
  return b.done();
}

/**
 * The same series as toSeries, built from the answer of queryOverhead's select per InfluxDB
 * series (the store's eachSeries), without a Row per point, nor the sort of every row by time
 * and series key (issue 26: the rows of a 90-day read were ~1/3 of the change step's own CPU).
 * `pieces` in any order; a series' pieces in their order.
 */
export function seriesOfAnswers(pieces: readonly SeriesAnswer[], history: FactsHistory): OverheadSeries[] {
  const b = seriesBuilder(history);
  // Series in the store's order of equal times (its key), each series' pieces in their order: the
  // runs of a series sorted by time then come, at equal times and run ids, in the rows' order.
  const keyed = pieces.map((p) => ({ p, key: seriesKey('overhead', p.tags) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const {
    p: { tags, columns, values },
  } of keyed) {
    const at = (name: string) => columns.indexOf(name);
    const [pct, base, run, baseRun, threads] = [at('overhead_pct'), at('baseline_value'), at('run_id'), at('baseline_run_id'), at('threads')];
    const v = (row: ReadonlyArray<FieldValue | null>, i: number) => (i > 0 ? row[i] : undefined);
    for (const row of values) b.add(tags, BigInt(String(row[0])), v(row, pct), v(row, base), v(row, run), v(row, baseRun), v(row, threads));
  }
  return b.done();
}

/**
 * toSeries' rule, fed one point at a time. Each series' runs are sorted by time, ties by run id,
 * then in the order they came (the store's rows: by InfluxDB series key). The series are listed
 * as if the points came in the store's row order (oldest first, equal times by series key),
 * whatever order they came in: two series that differ only in `threads` are left in that order by
 * the final sort by metric and baseline agent, and their points share a key in overhead_change.
 */
function seriesBuilder(history: FactsHistory) {
  const bySeries = new Map<string, OverheadSeries & { firstNs: bigint; firstKey: string }>();
  // Runs of a series share their tags and facts objects: a year of runs in memory stays small.
  // Each is built once per combination, not per row (the per-row spread and JSON.stringify took
  // ~4 s of CPU for a year of 100 guests' series of one test): tags by their values, facts by the
  // facts in force (one object per period of the history) and those tags.
  const tagsByKey = new Map<string, Record<string, string>>();
  const keyOfTags = new Map<Readonly<Record<string, string>>, { key: string; storeKey: string }>();
  const factsByPeriod = new Map<Facts, Map<string, Record<string, string>>>();
  // Equal facts of two periods are one object, as equal tags are.
  const shared = new Map<string, Record<string, string>>();
  const intern = (o: Record<string, string>) => {
    const k = JSON.stringify(o);
    const hit = shared.get(k);
    if (hit) return hit;
    shared.set(k, o);
    return o;
  };
  function add(rowTags: Readonly<Record<string, string>>, timeNs: bigint, pct: unknown, base: unknown, runId: unknown, baseRunId: unknown, th: unknown): void {
    if (typeof pct !== 'number' || typeof base !== 'number') return;
    const metric = rowTags.metric ?? '';
    const baselineAgent = rowTags.baseline_agent ?? '';
    const threads = typeof th === 'number' ? th : null;
    // The store hands the rows of one InfluxDB series one tags object: its keys are made once.
    let known = keyOfTags.get(rowTags);
    if (known === undefined) {
      // No stored string holds a control character (schema/bounds.ts): NUL cannot occur in a value.
      let key = metric + '\0' + baselineAgent;
      for (const t of SYSBENCH_TAGS) key += '\0' + (rowTags[t] ?? '');
      keyOfTags.set(rowTags, (known = { key, storeKey: seriesKey('overhead', rowTags) }));
    }
    const { key, storeKey } = known;
    const seriesKeyOf = metric + '\0' + baselineAgent + '\0' + threads;
    let s = bySeries.get(seriesKeyOf);
    if (!s) bySeries.set(seriesKeyOf, (s = { metric, baselineAgent, threads, runs: [], firstNs: timeNs, firstKey: storeKey }));
    else if (timeNs < s.firstNs || (timeNs === s.firstNs && storeKey < s.firstKey)) [s.firstNs, s.firstKey] = [timeNs, storeKey];
    let tags = tagsByKey.get(key);
    if (!tags) {
      tags = { metric, baseline_agent: baselineAgent };
      for (const t of SYSBENCH_TAGS) tags[t] = rowTags[t] ?? '';
      tagsByKey.set(key, (tags = intern(tags)));
    }
    const inForce = factsAt(history, timeNs);
    // factsAt answers a new empty object when no facts are in force yet: one period for all of them.
    const period = isEmpty(inForce) ? NO_FACTS : inForce;
    let byTags = factsByPeriod.get(period);
    if (!byTags) factsByPeriod.set(period, (byTags = new Map()));
    let facts = byTags.get(key);
    if (!facts) {
      // agent_info facts in force at the run (all but the raw `declared` object, whose QEMU part is
      // qemu_version), then the run's own tags.
      const { declared: _declared, ...own } = inForce as Record<string, string>;
      for (const t of TAG_FACTS) if (tags[t]) own[t] = tags[t]!;
      byTags.set(key, (facts = intern(own)));
    }
    s.runs.push({
      timeNs,
      runId: typeof runId === 'string' ? runId : '',
      baselineRunId: typeof baseRunId === 'string' ? baseRunId : '',
      overheadPct: pct,
      baselineValue: base,
      tags,
      facts,
    });
  }
  function done(): OverheadSeries[] {
    const firsts = [...bySeries.values()].sort((a, b) =>
      a.firstNs < b.firstNs ? -1 : a.firstNs > b.firstNs ? 1 : a.firstKey < b.firstKey ? -1 : a.firstKey > b.firstKey ? 1 : 0,
    );
    const out = firsts.map(({ metric, baselineAgent, threads, runs }) => ({ metric, baselineAgent, threads, runs: runs.sort(byTime) }));
    return out.sort((a, b) => (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1));
  }
  return { add, done };
}

/** Identity of a series within a guest's test. */
export function seriesId(metric: string, baselineAgent: string, threads: number | null): string {
  return JSON.stringify([metric, baselineAgent, threads]);
}

/** Time order of runs (ties by run id): the order the analysis sees. */
export function byTime(a: OverheadRun, b: OverheadRun): number {
  return a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

/**
 * What the analysis sees of each series: its runs at or after `sinceNs`, at most the `maxRuns`
 * newest. Series left empty go.
 */
export function bound(series: ReadonlyMap<string, OverheadSeries>, sinceNs: bigint, maxRuns: number): Map<string, OverheadSeries> {
  const out = new Map<string, OverheadSeries>();
  for (const [id, s] of series) {
    const runs = s.runs.filter((r) => r.timeNs >= sinceNs).slice(-maxRuns);
    if (runs.length > 0) out.set(id, runs.length === s.runs.length ? s : { ...s, runs });
  }
  return out;
}
