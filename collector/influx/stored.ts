// Points as InfluxDB returns them (the influx client's rows: tags and fields as columns, null
// where a point has no such field) compared with points about to be written: which stored point
// a new one overwrites whole, which already holds exactly its content, and the InfluxQL that
// names one stored point (its series, by every tag, and its time) to delete it alone. The
// calculators write only what changed and delete only what is stale with these.
import type { IPoint } from 'influx';
import { eq, timeBetween } from '../../schema/influxql.js';

export type StoredRow = Record<string, unknown> & { time?: unknown };

const identity = (tags: readonly string[], get: (tag: string) => unknown) => tags.map((t) => String(get(t) ?? '')).join('\0');

/** The stored row's time in ns (the influx client's INanoDate). */
export function storedNs(row: StoredRow): string {
  return (row.time as { getNanoTime(): string }).getNanoTime();
}

/** Series and time of a stored row or a point: equal for the point that would overwrite the row. */
export function rowKey(row: StoredRow, tags: readonly string[]): string {
  return `${identity(tags, (t) => row[t])}\0${storedNs(row)}`;
}

export function pointKey(point: IPoint, tags: readonly string[]): string {
  return `${identity(tags, (t) => point.tags?.[t])}\0${String(point.timestamp)}`;
}

/** The stored row is overwritten whole by a new point: same series, no field the new point lacks. */
export function coveredBy(row: StoredRow, points: readonly IPoint[], tags: readonly string[]): boolean {
  const id = identity(tags, (t) => row[t]);
  const fields = points.find((p) => identity(tags, (t) => p.tags?.[t]) === id)?.fields;
  return fields !== undefined && Object.entries(row).every(([k, v]) => k === 'time' || tags.includes(k) || v === null || k in fields);
}

/** The stored row already is this point: same series, the same fields with the same values. */
export function sameContent(row: StoredRow, point: IPoint, tags: readonly string[]): boolean {
  if (identity(tags, (t) => row[t]) !== identity(tags, (t) => point.tags?.[t])) return false;
  const fields = point.fields ?? {};
  for (const [k, v] of Object.entries(row)) if (k !== 'time' && !tags.includes(k) && v !== null && !(k in fields)) return false;
  return Object.entries(fields).every(([k, v]) => row[k] === v);
}

/** WHERE clause of exactly this stored point: every tag of its series (absent ones as '') and its time. */
export function exactPointWhere(row: StoredRow, tags: readonly string[]): string {
  const ns = BigInt(storedNs(row));
  return [...tags.map((t) => eq(t, typeof row[t] === 'string' ? (row[t] as string) : '')), timeBetween(ns, ns)].join(' AND ');
}
