// The store over InfluxDB's HTTP API, the batch writer's path (influx/http.ts): line protocol
// from influx/line.ts into each measurement's retention policy, InfluxQL built here and nowhere
// else in the calculators. The agents' records are append-only and pass the history guard in the
// batch writer; the store refuses them, so derived data can never overwrite a measurement.
import type { Measurement } from '../../schema/influx.js';
import { eq, quoteIdent, timeBetween } from '../../schema/influxql.js';
import { DEFAULT_RETENTION, measurementRef, policyOf, type RetentionSettings } from '../../schema/retention.js';
import { GUARDED_MEASUREMENTS } from '../influx/history.js';
import { lineWriter, rawQuery, type ChunkedQuery, type InfluxTarget, type Post, type RawQuery } from '../influx/http.js';
import { escapeReadBack, seriesKey, toLine } from '../influx/line.js';
import {
  byTimeAndSeries,
  newestOf,
  rowOfValues,
  tagValuesOf,
  type FieldValue,
  type Row,
  type Selection,
  type SeriesAnswer,
  type Store,
  type StorePoint,
  type Summary,
  type SummaryRow,
  type Where,
} from './store.js';

function tagConditions(w: Where | undefined): string[] {
  return Object.entries(w?.tags ?? {}).map(([k, match]) => {
    const values = tagValuesOf(k, match);
    return values.length === 1 ? eq(k, values[0]!) : `(${values.map((v) => eq(k, v)).join(' OR ')})`;
  });
}

function timeConditions(w: Where | undefined): string[] {
  const parts: string[] = [];
  if (w?.from !== undefined && w.to !== undefined) parts.push(timeBetween(w.from, w.to));
  else if (w?.from !== undefined) parts.push(`time >= ${w.from}`);
  else if (w?.to !== undefined) parts.push(`time <= ${w.to}`);
  if (w?.after !== undefined) parts.push(`time > ${w.after}`);
  return parts;
}

export function whereClause(w: Where | undefined): string {
  const parts = [...tagConditions(w), ...timeConditions(w)];
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

/** Tag sets ORed into one DELETE statement at most (the statement's text stays ~100 KB). */
const DELETE_OR_MAX = 500;

/**
 * The DELETE statements for points any of `wheres` matches: those with the same time bounds in
 * one statement, their tag conditions ORed. InfluxDB 1.x walks every shard of the database for
 * each DELETE statement, so a statement per series made a refresh of a 100-guest group's
 * latest points take tens of seconds (issue 26); the tag sets of one statement cost about one.
 */
function deleteStatements(measurement: string, wheres: readonly Where[]): string[] {
  const byTime = new Map<string, string[][]>();
  for (const w of wheres) {
    const time = timeConditions(w).join(' AND ');
    const sets = byTime.get(time) ?? byTime.set(time, []).get(time)!;
    sets.push(tagConditions(w));
  }
  const out: string[] = [];
  for (const [time, sets] of byTime) {
    // A where without tags matches every series: no tag condition at all.
    const chunks = sets.some((t) => t.length === 0) ? [[]] : chunked(sets, DELETE_OR_MAX);
    for (const chunk of chunks) {
      const tags = chunk.map((t) => `(${t.join(' AND ')})`).join(' OR ');
      const parts = [...(tags ? [chunk.length > 1 ? `(${tags})` : tags] : []), ...(time ? [time] : [])];
      out.push(`DELETE FROM ${quoteIdent(measurement)}${parts.length ? ` WHERE ${parts.join(' AND ')}` : ''}`);
    }
  }
  return out;
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Answer = Awaited<ReturnType<RawQuery>>;

type Series = NonNullable<NonNullable<Answer['results']>[number]['series']>;

/** The series of statement `i` of an answer; an InfluxQL error is thrown, never read as no rows. */
function seriesOf(answer: Answer, i = 0): Series {
  const result = answer.results?.[i];
  const error = answer.error ?? result?.error;
  if (error) throw new Error(`InfluxDB query failed: ${error}`);
  return result?.series ?? [];
}

/** A series' tags as rows carry them: a tag the series lacks (InfluxDB answers '') left out. */
function presentTags(series: Series[number]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(series.tags ?? {})) if (v) tags[k] = v;
  return tags;
}

/** One statement's series as rows, in the store's order. */
function rowsOf(s: Selection, answer: Series): Row[] {
  const rows: Array<Row & { key: string }> = [];
  for (const series of answer) {
    const tags = presentTags(series);
    const key = seriesKey(s.measurement, tags);
    for (const values of series.values) rows.push(Object.assign(rowOfValues(tags, series.columns, values as ReadonlyArray<FieldValue | null>), { key }));
  }
  rows.sort(byTimeAndSeries);
  const out = rows.map(({ key: _k, ...r }) => r);
  return s.newest !== undefined ? newestOf(out, s.newest, s.groupBy) : out;
}

/** A summary's statement: its calls, its tag and time conditions and its field values. */
function summaryStatement(s: Summary, from: string): string {
  const calls = s.calls.map((c) => `${c.fn}(${quoteIdent(c.field)}${c.arg !== undefined ? `, ${c.arg}` : ''}) AS ${quoteIdent(c.as)}`);
  const fields = (s.fields ?? []).map(([k, op, v]) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`store: field ${k} compared with ${v}`);
    return `${quoteIdent(k)} ${op} ${String(v)}`;
  });
  const where = whereClause(s.where);
  const conditions = where ? `${where}${fields.map((f) => ` AND ${f}`).join('')}` : fields.length ? ` WHERE ${fields.join(' AND ')}` : '';
  const groupBy = s.groupBy === '*' ? ' GROUP BY *' : s.groupBy.length ? ` GROUP BY ${s.groupBy.map(quoteIdent).join(', ')}` : '';
  return `SELECT ${calls.join(', ')} FROM ${from}${conditions}${groupBy}`;
}

/** One summary statement's series as rows (a group's missing tags left out, as rowsOf does). */
function summaryRowsOf(s: Summary, answer: Series): SummaryRow[] {
  const out: SummaryRow[] = [];
  for (const series of answer) {
    const tags = presentTags(series);
    for (const values of series.values) {
      const named: Record<string, FieldValue | null> = {};
      s.calls.forEach((c, j) => (named[c.as] = (values[j + 1] ?? null) as FieldValue | null));
      out.push({ tags, timeNs: BigInt(String(values[0])), values: named });
    }
  }
  return out;
}

export interface InfluxStoreOptions {
  /** Which policy each measurement lives in (default DEFAULT_RETENTION). */
  retention?: RetentionSettings;
  /** The HTTP calls (default: to `target`); a test may watch what is sent. */
  post?: Post;
  query?: RawQuery;
  /** Queries answered in parts as they arrive (node-query.ts), for eachSeries; without it eachSeries reads the whole answer with `query`. */
  queryChunks?: ChunkedQuery;
}

export function influxStore(target: InfluxTarget, o: InfluxStoreOptions = {}): Store {
  const retention = o.retention ?? DEFAULT_RETENTION;
  const post = o.post ?? lineWriter(target);
  const query = o.query ?? rawQuery(target);
  const from = (m: Measurement) => measurementRef(m, retention);
  const statement = (s: Selection) => {
    const fields = s.fields ? s.fields.map(quoteIdent).join(', ') : '*';
    // GROUP BY * keeps tags out of the columns; with `newest`, the last rows of each series
    // are enough to find the last of each group.
    const order = s.newest !== undefined ? ` ORDER BY time DESC LIMIT ${s.newest}` : '';
    return `SELECT ${fields} FROM ${from(s.measurement)}${whereClause(s.where)} GROUP BY *${order}`;
  };
  return {
    async write(points: readonly StorePoint[]) {
      const byPolicy = new Map<string | undefined, string[]>();
      for (const p of points) {
        if (GUARDED_MEASUREMENTS.has(p.measurement)) throw new Error(`the store writes derived data only: ${p.measurement} is append-only (batch writer)`);
        const policy = policyOf(p.measurement, retention);
        const lines = byPolicy.get(policy) ?? [];
        // Derived points carry tags read back from InfluxDB: written as they were stored.
        const key = seriesKey(p.measurement, { ...p.tags }, escapeReadBack);
        lines.push(toLine({ measurement: p.measurement, fields: { ...p.fields }, timestamp: p.timestamp }, key));
        byPolicy.set(policy, lines);
      }
      for (const [policy, lines] of byPolicy) await post(lines.join('\n'), policy);
    },

    async select(s: Selection) {
      return rowsOf(s, seriesOf(await query(statement(s))));
    },

    async selectMany(selections: readonly Selection[]) {
      if (selections.length === 0) return [];
      const answer = await query(selections.map(statement).join('; '));
      return selections.map((s, i) => rowsOf(s, seriesOf(answer, i)));
    },

    async eachSeries(selections: readonly Selection[], visit: (index: number, series: SeriesAnswer) => void) {
      if (selections.length === 0) return;
      if (selections.some((s) => s.newest !== undefined)) throw new Error('store: eachSeries does not take `newest` (select does)');
      const q = selections.map(statement).join('; ');
      const visitAll = (answer: Answer) => {
        if (answer.error) seriesOf(answer);
        for (const [j, result] of (answer.results ?? []).entries()) {
          // A chunked answer's part names its statement; a whole answer lists them in order.
          const index = result.statement_id ?? j;
          for (const series of seriesOf({ results: [result] }))
            visit(index, { tags: presentTags(series), columns: series.columns, values: series.values as SeriesAnswer['values'] });
        }
      };
      if (o.queryChunks) await o.queryChunks(q, visitAll);
      else visitAll(await query(q));
    },

    async summarize(summaries: readonly Summary[]) {
      if (summaries.length === 0) return [];
      const answer = await query(summaries.map((s) => summaryStatement(s, from(s.measurement))).join('; '));
      return summaries.map((s, i) => summaryRowsOf(s, seriesOf(answer, i)));
    },

    async tagValues(measurement, key, where) {
      const answer = await query(`SHOW TAG VALUES FROM ${from(measurement)} WITH KEY = ${quoteIdent(key)}${whereClause(where)}`);
      const values = new Set<string>();
      for (const series of seriesOf(answer)) for (const v of series.values) values.add(String(v[1]));
      return [...values].sort();
    },

    async delete(measurement, where) {
      // DELETE names no retention policy: it deletes from every policy of the measurement.
      const wheres: readonly Where[] = Array.isArray(where) ? where : [where as Where];
      wheres.forEach((w) => tagConditions(w)); // an empty tag set refused before anything is deleted
      const statements = deleteStatements(measurement, wheres);
      if (statements.length === 0) return;
      const answer = await query(statements.join('; '));
      statements.forEach((_, i) => seriesOf(answer, i));
    },
  };
}
