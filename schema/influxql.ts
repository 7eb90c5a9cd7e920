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

/** time >= a AND time <= b, both in nanoseconds since the epoch. */
export function timeBetween(fromNs: bigint, toNs: bigint): string {
  return `time >= ${fromNs.toString()} AND time <= ${toNs.toString()}`;
}
