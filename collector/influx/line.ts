// InfluxDB line protocol, written by the collector itself for its fixed schema. The `influx`
// client serialises every point generically (schema coercion, escaping every tag of every
// point); profiling the collector showed that plus its garbage as the largest cost per point.
// Here a stream's series key (measurement + escaped, sorted tags) is built once and reused.
// Rules: https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
import type { IPoint } from 'influx';

const MEASUREMENT_SPECIAL = /[, \\]/g;
const KEY_SPECIAL = /[,= \\]/g;
/** The same class without /g: a test is ~8× cheaper than a replace that finds nothing (every field name). */
const HAS_KEY_SPECIAL = /[,= \\]/;
const STRING_SPECIAL = /["\\]/g;

export function escapeMeasurement(s: string): string {
  return s.replace(MEASUREMENT_SPECIAL, '\\$&');
}

/** Tag keys, tag values and field keys. */
export function escapeKey(s: string): string {
  return HAS_KEY_SPECIAL.test(s) ? s.replace(KEY_SPECIAL, '\\$&') : s;
}

export function fieldValue(v: number | string | boolean): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`line protocol: ${v} is not a finite number`);
    return String(v); // a float: never an integer suffix, so a field keeps one type
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `"${v.replace(STRING_SPECIAL, '\\$&')}"`;
}

/**
 * A tag value read back from InfluxDB, to write a point into the same series (derived data):
 * InfluxDB 1.x keeps a backslash in a tag as written, so doubling it (escapeKey) would name
 * another series. Agents' values never hold one (validate.ts); values from tests may.
 */
export function escapeReadBack(s: string): string {
  return s.replace(READ_BACK_SPECIAL, '\\$&');
}

const READ_BACK_SPECIAL = /[,= ]/g;

/** measurement,tag=value,... with tags sorted (InfluxDB's preferred order) and empty values left out. */
export function seriesKey(measurement: string, tags: Record<string, string>, escapeValue: (s: string) => string = escapeKey): string {
  let key = escapeMeasurement(measurement);
  for (const name of Object.keys(tags).sort()) {
    const value = tags[name];
    if (value) key += `,${escapeKey(name)}=${escapeValue(value)}`;
  }
  return key;
}

/**
 * Built with join, not +=: V8 keeps `out += …` as a tree of its ~30 pieces, which the content
 * hash and then the request body's join each walked again (the writer's join was the collector's
 * largest own function in the ingest profile); join makes one flat string (issue 26).
 */
export function fieldSet(fields: Record<string, number | string | boolean | undefined>): string {
  const parts: string[] = [];
  for (const name in fields) {
    const v = fields[name];
    if (v === undefined) continue;
    parts.push(`${escapeKey(name)}=${fieldValue(v)}`);
  }
  return parts.join(',');
}

/** One line for a point whose timestamp is nanoseconds as a decimal string. */
export function toLine(point: IPoint, key = seriesKey(point.measurement!, (point.tags ?? {}) as Record<string, string>)): string {
  return `${key} ${fieldSet(point.fields as Record<string, number | string | boolean>)} ${String(point.timestamp)}`;
}
