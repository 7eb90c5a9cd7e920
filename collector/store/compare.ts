// Stored rows (store.ts Row) compared with points about to be written: which stored point a new
// one overwrites whole, which already holds exactly its content. The calculators write only what
// changed and delete only what is stale with these (InfluxDB merges a point's fields into the one
// stored at its series and time, so a point that lacks a stored field must replace it).
import type { Row, StorePoint } from './store.js';

/** A series' identity by the measurement's tags (absent ones as ''). */
const identity = (tags: readonly string[], of: Readonly<Record<string, string>>) => tags.map((t) => of[t] ?? '').join('\0');

/** Series and time of a stored row: equal to pointKey of the point that would overwrite it. */
export function rowKey(row: Row, tags: readonly string[]): string {
  return `${identity(tags, row.tags)}\0${row.timeNs}`;
}

export function pointKey(point: StorePoint, tags: readonly string[]): string {
  return `${identity(tags, point.tags)}\0${point.timestamp}`;
}

/** The stored row is overwritten whole by one of the points: same series, no field that point lacks. */
export function coveredBy(row: Row, points: readonly StorePoint[], tags: readonly string[]): boolean {
  const id = identity(tags, row.tags);
  const fields = points.find((p) => identity(tags, p.tags) === id)?.fields;
  return fields !== undefined && Object.keys(row.fields).every((k) => k in fields);
}

/** The stored row already is this point: same series, the same fields with the same values. */
export function sameContent(row: Row, point: StorePoint, tags: readonly string[]): boolean {
  if (identity(tags, row.tags) !== identity(tags, point.tags)) return false;
  if (!Object.keys(row.fields).every((k) => k in point.fields)) return false;
  return Object.entries(point.fields).every(([k, v]) => row.fields[k] === v);
}

/** The tags that name exactly the row's series (every tag of the measurement, absent ones as ''). */
export function exactTags(row: Row, tags: readonly string[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t, row.tags[t] ?? '']));
}
