// Everything an agent sends is checked before anything is written, field by field against the
// one table of bounds (schema/bounds.ts): known names, numbers within their metric's physical
// range, bounded strings of printable characters, identity values that cannot forge line
// protocol, timestamps InfluxDB can store. A value in a message is quoted inert (lib/inert.ts):
// the reason travels to logs and to the agent.
import { MIN_PROTOCOL_VERSION, type AgentStatus__Output, type Hello__Output, type IntervalSample__Output, type Result__Output } from '../../proto/index.js';
import {
  clockOffsetSeconds,
  metricNames,
  metricProblem,
  stepProblem,
  textProblem,
  TIME_BOUNDS,
  WIRE_BOUNDS,
  wrongClock,
  type Bound,
  type WireMessage,
} from '../../schema/bounds.js';

export { wrongClock };
import { quote } from '../../lib/inert.js';
import { NOISE_FIELDS, noiseValueProblem } from '../../schema/noise.js';

export class ValidationError extends Error {
  override name = 'ValidationError';
  /** No stack trace: a flood of invalid records must not cost a captured stack each. */
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export function checkString(value: string, name: string, max: number, allowEmpty = false): string {
  const problem = textProblem(value, { maxBytes: max, charset: 'tag', empty: allowEmpty });
  if (problem) throw new ValidationError(`${name} ${problem}`);
  return value;
}

function checkTime(v: unknown, name: string, unset: boolean): void {
  if (typeof v !== 'string' || !/^\d{1,19}$/.test(v)) throw new ValidationError(`${name} must be nanoseconds since the epoch`);
  if (unset && v === '0') return;
  const ns = BigInt(v);
  if (ns < 1n || ns > TIME_BOUNDS.maxNs) throw new ValidationError(`${name} ${v} is outside what InfluxDB can store (1970 .. 2262)`);
}

function checkInt(v: unknown, name: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ValidationError(`${name} must be a whole number from ${min} to ${max}, not ${quote(v, 20)}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkMetrics(fields: unknown, of: 'result' | 'interval', what: string): void {
  if (!isRecord(fields)) throw new ValidationError(`${what}: fields must be a map of numbers`);
  const known = metricNames(of);
  const names = Object.keys(fields);
  if (names.length > known.size) throw new ValidationError(`${what}: too many fields`);
  for (const name of names) {
    if (!known.has(name)) throw new ValidationError(`${what}: unknown field ${quote(name)}`);
    const problem = metricProblem(name, fields[name]);
    if (problem) throw new ValidationError(`${what}: field ${name} ${problem}`);
  }
}

/** One field against its bound; `name` says where it is ("hello.host.kernel"). */
function checkField(b: Bound, v: unknown, name: string): void {
  switch (b.kind) {
    case 'text': {
      const problem = textProblem(v, b);
      if (problem) throw new ValidationError(`${name} ${problem}`);
      return;
    }
    case 'enum':
      if (typeof v !== 'string' || !(b.values as readonly string[]).includes(v))
        throw new ValidationError(`${name} ${quote(v, 40)} is not one of ${b.values.join(', ')}`);
      return;
    case 'int':
      return checkInt(v, name, b.min, b.max);
    case 'count':
      if (typeof v !== 'string' || !/^\d{1,16}$/.test(v) || Number(v) > b.max) throw new ValidationError(`${name} must be a whole number from 0 to ${b.max}`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw new ValidationError(`${name} must be true or false`);
      return;
    case 'time':
      return checkTime(v, name, b.unset === true);
    case 'json':
      if (typeof v !== 'string') throw new ValidationError(`${name} must be a string`);
      if (v.length > b.maxBytes || Buffer.byteLength(v) > b.maxBytes) throw new ValidationError(`${name} is over ${b.maxBytes / 1024} KiB`);
      return;
    case 'list': {
      if (!Array.isArray(v)) throw new ValidationError(`${name} must be a list`);
      if (v.length > b.maxItems) throw new ValidationError(`${name} has more than ${b.maxItems} entries`);
      v.forEach((item, i) => checkField(b.item, item, `${name}[${i}]`));
      return;
    }
    case 'map': {
      if (!isRecord(v)) throw new ValidationError(`${name} must be a map`);
      const entries = Object.entries(v);
      if (entries.length > b.maxEntries) throw new ValidationError(`${name} has more than ${b.maxEntries} entries`);
      for (const [k, value] of entries) {
        checkField(b.key, k, `${name} key`);
        checkField(b.value, value, `${name}.${k}`);
      }
      return;
    }
    case 'metrics':
      return checkMetrics(v, b.of, name.replace(/\.fields$/, ''));
    case 'steps': {
      if (!isRecord(v)) throw new ValidationError(`${name} must be a map of numbers`);
      for (const [field, step] of Object.entries(v)) {
        const problem = stepProblem(step);
        if (problem) throw new ValidationError(`${name}.${field.slice(0, 64)} ${problem}`);
      }
      return;
    }
    case 'message':
      if (v === null || v === undefined) {
        if (b.optional) return;
        throw new ValidationError(`${name} is missing`);
      }
      if (!isRecord(v)) throw new ValidationError(`${name} must be a message`);
      return checkMessage(b.of, v, name);
    case 'noise': {
      if (!isRecord(v)) throw new ValidationError(`${name} must be a map of numbers`);
      const names = Object.keys(v);
      if (names.length > NOISE_FIELDS.length) throw new ValidationError(`${name}: too many signals`);
      for (const signal of names) {
        const problem = noiseValueProblem(signal, v[signal]);
        if (problem) throw new ValidationError(`${name}: ${problem}`);
      }
      return;
    }
    case 'records':
      return; // RecordBatch: counted by the stream handler before its records are looked at
  }
}

const OPTIONAL_FIELDS = new Set(['parent_agent', 'clock_ns', 'resolution', 'noise', 'disturbed']);

/** Each message's bounds as a list, made once: Object.entries per record was an array of pairs per record to collect. */
const BOUNDS_OF = Object.fromEntries(Object.entries(WIRE_BOUNDS).map(([m, bounds]) => [m, Object.entries(bounds) as Array<[string, Bound]>])) as Record<
  WireMessage,
  Array<[string, Bound]>
>;

/**
 * Per message and text field, the last string accepted there. A record's run id, profile and
 * version are nearly always its predecessor's: the same string against the same bound has the
 * same answer, so it is not scanned again (the unprintable-character scan of these strings was
 * most of validation in the ingest profile). Only the field's own bound is ever compared.
 */
const LAST_VALID_TEXT = Object.fromEntries(Object.entries(BOUNDS_OF).map(([m, bounds]) => [m, bounds.map(() => undefined)])) as unknown as Record<
  WireMessage,
  Array<string | undefined>
>;

/** Every field the table knows for this message (an absent field decodes to its default). */
function checkMessage(m: WireMessage, msg: Record<string, unknown>, prefix: string): void {
  const bounds = BOUNDS_OF[m];
  const last = LAST_VALID_TEXT[m];
  for (let i = 0; i < bounds.length; i++) {
    const [field, bound] = bounds[i]!;
    const v = msg[field];
    // Fields added to the contract after protocol 1 are absent from older agents' messages.
    if (v === undefined && OPTIONAL_FIELDS.has(field)) continue;
    if (bound.kind === 'text' && typeof v === 'string' && v === last[i]) continue;
    checkField(bound, v, `${prefix}.${field}`);
    if (bound.kind === 'text') last[i] = v as string;
  }
}

export function validateHello(h: Hello__Output | null | undefined): Hello__Output {
  if (!h) throw new ValidationError('the first message must be a hello');
  if (typeof h.protocol_version === 'number' && h.protocol_version < MIN_PROTOCOL_VERSION)
    throw new ValidationError(`protocol version ${h.protocol_version} is too old (minimum ${MIN_PROTOCOL_VERSION})`);
  checkMessage('Hello', h as unknown as Record<string, unknown>, 'hello');
  return h;
}

export function validateResult(r: Result__Output): Result__Output {
  checkMessage('Result', r as unknown as Record<string, unknown>, 'result');
  if (r.ok && Object.keys(r.fields).length === 0) throw new ValidationError('result says ok but has no fields');
  // A step belongs to a field the result has; a non-zero value is no finer than its own step.
  for (const [name, step] of Object.entries(r.resolution ?? {})) {
    if (!(name in r.fields)) throw new ValidationError(`result.resolution: ${quote(name)} is not a field of the result`);
    const value = r.fields[name]!;
    if (value !== 0 && value < step) throw new ValidationError(`result: field ${name} = ${value} is below its own printing step ${step}`);
  }
  return r;
}

export function validateSample(s: IntervalSample__Output): IntervalSample__Output {
  checkMessage('IntervalSample', s as unknown as Record<string, unknown>, 'sample');
  if (s.fields.elapsed_s === undefined) throw new ValidationError('sample has no elapsed_s');
  return s;
}

export function validateStatus(s: AgentStatus__Output): AgentStatus__Output {
  checkMessage('AgentStatus', s as unknown as Record<string, unknown>, 'status');
  return s;
}

/** The agent's clock offset (seconds, + ahead) from its hello, when it sent one; undefined otherwise. */
export function agentClockOffsetSeconds(h: Hello__Output, nowMs = Date.now()): number | undefined {
  return clockOffsetSeconds(h.clock_ns, nowMs);
}

/**
 * How far (in seconds, + ahead) a record is from the collector's clock when it is flagged, or
 * undefined when it is plausible. Flagged: the agent's clock is off by more than the tolerance
 * (`agentOffsetS`, from its hello: every record of that agent), or the record is before
 * 2000-01-01 or more than a day ahead of the collector's clock.
 */
export function clockSkewSeconds(ns: string, nowMs = Date.now(), agentOffsetS?: number): number | undefined {
  if (wrongClock(agentOffsetS)) return agentOffsetS;
  const v = BigInt(ns);
  const now = BigInt(nowMs) * 1_000_000n;
  if (v >= TIME_BOUNDS.earliestNs && v <= now + BigInt(TIME_BOUNDS.aheadS) * 1_000_000_000n) return undefined;
  return Number((v - now) / 1_000_000_000n);
}
