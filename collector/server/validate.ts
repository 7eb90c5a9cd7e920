// Everything an agent sends is checked before anything is written: known names, finite
// numbers in sane ranges, bounded strings, and identity values that cannot forge line
// protocol (no control characters, no backslashes: a trailing '\' would escape the separator).
import { MIN_PROTOCOL_VERSION, type AgentStatus__Output, type Hello__Output, type IntervalSample__Output, type Result__Output } from '../../proto/index.js';
import { INTERVAL_FIELDS, RESULT_FIELDS, isTestName } from '../../schema/sysbench.js';
import { fieldValueProblem, MAX_FIELD_VALUE, MAX_TAG_BYTES, stringProblem } from '../../schema/values.js';
import { MAX_DISTURBED_REASON, NOISE_FIELDS, noiseValueProblem } from '../../schema/noise.js';

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

const MAX_ID = 256;
const MAX_TAG = MAX_TAG_BYTES;
const EARLIEST_NS = 946_684_800_000_000_000n; // 2000-01-01
const MAX_FUTURE_NS = 86_400_000_000_000n; // one day of clock skew
const MAX_INFLUX_NS = 9_223_372_036_854_775_806n; // InfluxDB's largest timestamp
const RESULT_FIELD_SET = new Set<string>(RESULT_FIELDS);
const INTERVAL_FIELD_SET = new Set<string>(INTERVAL_FIELDS);

export function checkString(value: string, name: string, max: number, allowEmpty = false): string {
  const problem = stringProblem(value, max, allowEmpty);
  if (problem) throw new ValidationError(`${name} ${problem}`);
  return value;
}

function checkToken(value: string, name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(value)) throw new ValidationError(`${name} '${value.slice(0, 40)}' is not a known value`);
  return value;
}

/**
 * Any timestamp InfluxDB can store is accepted: a result measured on a machine whose clock is
 * wrong is still a measured result (clockSkewSeconds flags it), and refusing it would lose it.
 */
function checkTimestamp(ns: string, name: string): string {
  if (!/^\d{1,19}$/.test(ns)) throw new ValidationError(`${name} must be nanoseconds since the epoch`);
  if (BigInt(ns) < 1n || BigInt(ns) > MAX_INFLUX_NS) throw new ValidationError(`${name} ${ns} is outside what InfluxDB can store (1970 .. 2262)`);
  return ns;
}

/**
 * How far (in seconds, + ahead) a record's timestamp is from the collector's clock when it is
 * implausible — before 2000-01-01 or more than a day ahead; undefined when it is plausible.
 */
export function clockSkewSeconds(ns: string, nowMs = Date.now()): number | undefined {
  const v = BigInt(ns);
  const now = BigInt(nowMs) * 1_000_000n;
  if (v >= EARLIEST_NS && v <= now + MAX_FUTURE_NS) return undefined;
  return Number((v - now) / 1_000_000_000n);
}

function checkInt(v: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new ValidationError(`${name} must be a whole number from ${min} to ${max}, not ${v}`);
  return v;
}

function checkFields(fields: Record<string, number>, known: Set<string>, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  const names = Object.keys(fields);
  if (names.length > known.size) throw new ValidationError(`${what}: too many fields`);
  for (const name of names) {
    const value = fields[name]!;
    if (!known.has(name)) throw new ValidationError(`${what}: unknown field '${name.slice(0, 64)}'`);
    const problem = fieldValueProblem(value);
    if (problem) throw new ValidationError(`${what}: field ${name} ${problem}`);
    out[name] = value;
  }
  return out;
}

export function validateHello(h: Hello__Output | null | undefined): Hello__Output {
  if (!h) throw new ValidationError('the first message must be a hello');
  if (h.protocol_version < MIN_PROTOCOL_VERSION)
    throw new ValidationError(`protocol version ${h.protocol_version} is too old (minimum ${MIN_PROTOCOL_VERSION})`);
  checkString(h.agent_id, 'hello.agent_id', MAX_TAG);
  checkString(h.hostname, 'hello.hostname', MAX_TAG);
  checkString(h.group, 'hello.group', MAX_TAG);
  if (h.role !== 'baseline' && h.role !== 'guest') throw new ValidationError(`hello.role must be baseline or guest`);
  checkString(h.variant, 'hello.variant', MAX_TAG, true);
  checkString(h.agent_version, 'hello.agent_version', 64, true);
  checkString(h.sysbench_version, 'hello.sysbench_version', 64, true);
  checkString(h.parent_agent ?? '', 'hello.parent_agent', MAX_TAG, true);
  const env = h.environment;
  if (!env) throw new ValidationError('hello.environment is missing');
  checkToken(env.virt, 'hello.environment.virt');
  checkToken(env.container, 'hello.environment.container');
  checkToken(env.kvm, 'hello.environment.kvm');
  if (env.detection_json.length > 64 * 1024) throw new ValidationError('hello.environment.detection_json is over 64 KiB');
  if (Object.keys(env.declared).length > 32) throw new ValidationError('hello.environment.declared has more than 32 entries');
  for (const [k, v] of Object.entries(env.declared)) {
    checkString(k, 'hello.environment.declared key', 64);
    checkString(v, `hello.environment.declared.${k}`, 256, true);
  }
  return h;
}

/** What every record of a run carries (results and samples alike), checked the same way. */
function checkRunRecord(r: Result__Output | IntervalSample__Output, what: 'result' | 'sample', knownFields: Set<string>): void {
  checkString(r.id, `${what}.id`, MAX_ID);
  checkTimestamp(r.timestamp_ns, `${what}.timestamp_ns`);
  checkString(r.run_id, `${what}.run_id`, MAX_ID);
  if (!isTestName(r.test)) throw new ValidationError(`${what}.test '${String(r.test).slice(0, 40)}' is not a known test`);
  checkString(r.profile, `${what}.profile`, 64);
  checkString(r.sysbench_version, `${what}.sysbench_version`, 64);
  checkInt(r.trial, `${what}.trial`, 1, 1000);
  checkFields(r.fields, knownFields, what);
}

/** Each printing step names a field of the result and is a positive finite number (a power of ten times a unit factor). */
function checkResolution(resolution: Record<string, number>, fields: Record<string, number>): void {
  for (const [name, step] of Object.entries(resolution)) {
    if (!(name in fields)) throw new ValidationError(`result.resolution: '${name.slice(0, 64)}' is not a field of the result`);
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0 || step > MAX_FIELD_VALUE)
      throw new ValidationError(`result.resolution.${name} must be a positive finite number`);
  }
}

/** The trial's noise signals: known names, each within its range (schema/noise.ts); absent from older agents. */
function checkNoise(noise: Record<string, number>, disturbed: string): void {
  const names = Object.keys(noise);
  if (names.length > NOISE_FIELDS.length) throw new ValidationError('result.noise: too many signals');
  for (const name of names) {
    const problem = noiseValueProblem(name, noise[name]);
    if (problem) throw new ValidationError(`result.noise: ${problem}`);
  }
  checkString(disturbed, 'result.disturbed', MAX_DISTURBED_REASON, true);
}

export function validateResult(r: Result__Output): Result__Output {
  checkRunRecord(r, 'result', RESULT_FIELD_SET);
  checkInt(r.threads, 'result.threads', 1, 100_000);
  if (r.errors.length > 20) throw new ValidationError('result.errors has more than 20 lines');
  for (const e of r.errors)
    if (typeof e !== 'string' || e.length > 1000) throw new ValidationError('result.errors lines must be strings of at most 1000 characters');
  if (r.ok && Object.keys(r.fields).length === 0) throw new ValidationError('result says ok but has no fields');
  checkResolution(r.resolution ?? {}, r.fields);
  checkNoise(r.noise ?? {}, r.disturbed ?? '');
  return r;
}

export function validateSample(s: IntervalSample__Output): IntervalSample__Output {
  checkRunRecord(s, 'sample', INTERVAL_FIELD_SET);
  if (s.fields.elapsed_s === undefined) throw new ValidationError('sample has no elapsed_s');
  return s;
}

export function validateStatus(s: AgentStatus__Output): AgentStatus__Output {
  checkString(s.id, 'status.id', MAX_ID);
  checkTimestamp(s.timestamp_ns, 'status.timestamp_ns');
  if (!['idle', 'running', 'replaying'].includes(s.state))
    throw new ValidationError(`status.state '${s.state.slice(0, 20)}' is not idle, running or replaying`);
  for (const k of ['spooled', 'dropped', 'corrupt', 'rejected'] as const) {
    if (!/^\d{1,15}$/.test(s[k])) throw new ValidationError(`status.${k} must be a whole number`);
  }
  return s;
}
