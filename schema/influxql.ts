// InfluxQL literals: the one quoting used by the collector's queries, the report and the dashboards.
// Tag values come from agents and may hold quotes or backslashes, so every identifier and string
// goes through these functions, never through concatenation.

/** A double-quoted identifier: "name" with \ and " escaped. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('InfluxQL identifier must not be empty');
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** A single-quoted string literal: 'value' with \ and ' escaped. */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** `"tag" = 'value'` */
export function eq(name: string, value: string): string {
  return `${quoteIdent(name)} = ${quoteString(value)}`;
}

/** InfluxDB's timestamps: nanoseconds from 1677-09-21 to 2262-04-11. */
export const MIN_TIME_NS = -9_223_372_036_854_775_806n;
export const MAX_TIME_NS = 9_223_372_036_854_775_806n;

/** A time clamped to what InfluxDB can represent: a window around 2262 or 1677 must not overflow the query. */
export function clampTime(ns: bigint): bigint {
  return ns < MIN_TIME_NS ? MIN_TIME_NS : ns > MAX_TIME_NS ? MAX_TIME_NS : ns;
}

/** time >= a AND time <= b, both in nanoseconds since the epoch, clamped to what InfluxDB can represent. */
export function timeBetween(fromNs: bigint, toNs: bigint): string {
  return `time >= ${clampTime(fromNs).toString()} AND time <= ${clampTime(toNs).toString()}`;
}
