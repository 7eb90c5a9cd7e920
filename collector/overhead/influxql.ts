// InfluxQL literals. Tag values come from agents and may hold quotes or backslashes, so
// every identifier and string goes through these two functions, never through concatenation.

/** A double-quoted identifier: "name" with \ and " escaped. */
export function ident(name: string): string {
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** A single-quoted string literal: 'value' with \ and ' escaped. */
export function str(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** `"tag" = 'value'` */
export function eq(name: string, value: string): string {
  return `${ident(name)} = ${str(value)}`;
}

/** time >= a AND time <= b, both in nanoseconds since the epoch. */
export function timeBetween(fromNs: bigint, toNs: bigint): string {
  return `time >= ${fromNs.toString()} AND time <= ${toNs.toString()}`;
}
