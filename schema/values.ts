// What InfluxDB may receive, as one set of rules shared by the agent (which checks its identity
// at start and sysbench's numbers before it spools them) and the collector (which checks every
// message): one function each, never two copies that drift apart.

/** Largest field value stored; sysbench never prints more, and 1e15 keeps floats exact to 0.1. */
export const MAX_FIELD_VALUE = 1e15;
/** Longest identity string (agent id, host name, group, variant, tag values), in UTF-8 bytes. */
export const MAX_TAG_BYTES = 128;

/** Control characters and the backslash: a trailing '\' would escape line protocol's separator. */
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

/** Why a string cannot be an identity value or tag (undefined: it can). */
export function stringProblem(value: unknown, max: number, allowEmpty = false): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (!allowEmpty && value.length === 0) return 'is empty';
  if (Buffer.byteLength(value) > max) return `is longer than ${max} bytes`;
  if (FORBIDDEN.test(value)) return 'contains a control character or a backslash';
  return undefined;
}

/** Why a number cannot be a stored measurement (undefined: it can). */
export function fieldValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'is not a finite number';
  if (value < 0 || value > MAX_FIELD_VALUE) return `= ${value} is out of range 0 .. 1e15`;
  return undefined;
}
