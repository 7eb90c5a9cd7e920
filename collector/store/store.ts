// The store the calculators read and write derived data through. Four operations, no query
// language: so the calculators' rules can be tested against an in-memory store
// (test/support/memory-store.ts) and run against InfluxDB (influx.ts) unchanged. What a fleet
// needs stays expressible (issue 26): a tag matched against a set of values (one read for many
// agents) and several selects answered in one request (selectMany). On it: overhead
// (overhead/batch.ts), facts (facts/), change points and `report --changes` (changes/), wrong
// agent clocks (health/clock.ts, report/clocks.ts), the report (report/build.ts, facts.ts, page.ts);
// not report/results-table.ts, quickstart's table by run_id, a field — docs/DEVELOPING.md.
import type { Measurement } from '../../schema/influx.js';

export type FieldValue = number | string | boolean;

export interface StorePoint {
  measurement: Measurement;
  /** Empty values are left out, as InfluxDB does (a tag is there or not). */
  tags: Readonly<Record<string, string>>;
  fields: Readonly<Record<string, FieldValue>>;
  /** Nanoseconds since the epoch as a decimal string: exact beyond 2^53. */
  timestamp: string;
}

/** A tag's value, or a set of values any of which matches (never empty). */
export type TagMatch = string | readonly string[];

/** Points whose tags have these values (a missing tag equals ''), within the time bounds given. */
export interface Where {
  tags?: Readonly<Record<string, TagMatch>>;
  /** time ≥ from (ns) */
  from?: bigint;
  /** time ≤ to (ns) */
  to?: bigint;
  /** time > after (ns) */
  after?: bigint;
}

export interface Selection {
  measurement: Measurement;
  where?: Where;
  /** Only these fields (default: every field); a point without any of them is no row, as in InfluxQL. */
  fields?: readonly string[];
  /** Only the `newest` latest rows, of each group of `groupBy` tag values when given, else of all. */
  newest?: number;
  groupBy?: readonly string[];
}

export interface Row {
  timeNs: bigint;
  /** The point's tags (those it has). */
  tags: Record<string, string>;
  /** The selected fields the point has. */
  fields: Record<string, FieldValue>;
}

/** One InfluxQL function of a summary: `fn(field[, arg])`, answered under the name `as`. */
export interface SummaryCall {
  as: string;
  fn: 'count' | 'sum' | 'first' | 'last' | 'percentile';
  field: string;
  /** percentile's N. */
  arg?: number;
}

/** A field compared with a value: [field, '=' or '!=', value]. */
export type FieldCondition = readonly [string, '=' | '!=', number | boolean];

/**
 * Aggregates of the points `where` and every one of `fields` match, per group of `groupBy` tags
 * (`'*'`: per series). A point without a field a condition names does not match (InfluxQL's rule).
 */
export interface Summary {
  measurement: Measurement;
  where?: Where;
  fields?: readonly FieldCondition[];
  calls: readonly SummaryCall[];
  groupBy: '*' | readonly string[];
}

/**
 * One series of a select's answer (or a piece of it) as InfluxDB gives it: its tags (those it has), the columns
 * (`time` first, then the selected fields) and its points' values in that order, oldest first, a
 * field the point lacks null. No object per point: the report's largest read (a year's days'
 * medians, issue 26) is folded from it without building a Row for each point.
 */
export interface SeriesAnswer {
  tags: Record<string, string>;
  columns: readonly string[];
  values: ReadonlyArray<ReadonlyArray<FieldValue | null>>;
}

/** A group's answer: its tags (those it has), the time InfluxDB gives (a selector alone: its point's), the calls' values by name. */
export interface SummaryRow {
  tags: Record<string, string>;
  timeNs: bigint;
  values: Record<string, FieldValue | null>;
}

export interface Store {
  /**
   * Writes points; a point at the series and time of a stored one merges its fields into it
   * (InfluxDB's rule, which recomputations rely on to overwrite their points).
   */
  write(points: readonly StorePoint[]): Promise<void>;
  /** Rows oldest first, equal times by series key (byTimeAndSeries). */
  select(selection: Selection): Promise<Row[]>;
  /** Several selects in one request (InfluxDB: one HTTP round trip); the answers in their order. */
  selectMany(selections: readonly Selection[]): Promise<Row[][]>;
  /** The distinct values of a tag among the points that match, sorted. */
  tagValues(measurement: Measurement, key: string, where?: Where): Promise<string[]>;
  /**
   * Summaries answered by the database itself, several in one request (InfluxDB only: the
   * in-memory store has none; a caller without it reads the points).
   */
  summarize?(summaries: readonly Summary[]): Promise<SummaryRow[][]>;
  /**
   * Several selects in one request, each answered per series and handed to `visit` with the
   * select's index as it arrives (InfluxDB only, like summarize; `newest` not supported): for a
   * caller that folds many points without a Row per point, nor the whole answer held at once. A
   * series may come in several pieces (InfluxDB's chunks), in order, oldest points first.
   */
  eachSeries?(selections: readonly Selection[], visit: (index: number, series: SeriesAnswer) => void): Promise<void>;
  /** Deletes the points `where` matches; given several, the points any of them matches, in one request. */
  delete(measurement: Measurement, where: Where | readonly Where[]): Promise<void>;
}

// The order, the tag-set rule and the `newest` rule every implementation follows.

/** The values a tag match accepts; an empty set is refused (it would match nothing, or in InfluxQL everything). */
export function tagValuesOf(key: string, match: TagMatch): readonly string[] {
  const values = typeof match === 'string' ? [match] : match;
  if (values.length === 0) throw new Error(`store: tag ${key} matched against an empty set of values`);
  return values;
}

/** One point of a select's answer as a row: its series' tags, the fields it has (nulls left out), its exact time (a decimal string in InfluxDB's answer). */
export function rowOfValues(tags: Record<string, string>, columns: readonly string[], values: ReadonlyArray<FieldValue | null | undefined>): Row {
  const fields: Record<string, FieldValue> = {};
  columns.forEach((c, j) => {
    if (j > 0 && values[j] !== null && values[j] !== undefined) fields[c] = values[j] as FieldValue;
  });
  return { timeNs: BigInt(String(values[0])), tags, fields };
}

/** Oldest first; equal times by series key (InfluxDB lists series in another order with ORDER BY time DESC). */
export function byTimeAndSeries(a: Row & { key: string }, b: Row & { key: string }): number {
  return a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The newest `n` rows of each group (rows oldest first in, oldest first out). */
export function newestOf<R extends Row>(rows: readonly R[], n: number, groupBy: readonly string[] | undefined): R[] {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const key = JSON.stringify((groupBy ?? []).map((t) => r.tags[t] ?? ''));
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const keep = new Set<R>();
  for (const g of groups.values()) for (const r of g.slice(-n)) keep.add(r);
  return rows.filter((r) => keep.has(r));
}
