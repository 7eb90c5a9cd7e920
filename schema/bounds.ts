// The bound of every field an agent sends (proto/virtoverhead.proto), in one table. The collector
// checks each message against it at the door (collector/server/validate.ts); the agent holds
// itself to it before it sends (its identity at start, sysbench's numbers, its host facts);
// docs/schema.md shows it ("What an agent may send"), and schema/bounds.test.ts checks the page
// against this table and this table against the proto. One guest's token must not be able to
// hurt the others: every string has a length and a charset, every number a physical range, every
// timestamp a window, and every free tag value a budget per credential.
import { INTERVAL_FIELDS, RESULT_FIELDS, type IntervalField, type ResultField } from './sysbench.js';
import { TESTS } from './test-types.js';
import { MAX_DISTURBED_REASON } from './noise.js';

/** Largest value any metric may take; 1e15 keeps floats exact to 0.1. */
export const MAX_FIELD_VALUE = 1e15;
/** Longest identity or tag value, in UTF-8 bytes. */
export const MAX_TAG_BYTES = 128;
/**
 * The finest step sysbench prints a value at, after the agent's unit conversion: 4 decimals of
 * bytes, in MiB (1e-4 / 2^20 ≈ 9.5e-11). A non-zero value below it, or a finer declared
 * resolution, cannot come from sysbench (1e-322 events/s made every ratio 0).
 */
export const MIN_STEP = 1e-11;
/** The coarsest: a whole number of Tb, in MiB. */
export const MAX_STEP = 2 ** 20;

/**
 * What a string may hold: `tag` and `text` never the characters UNPRINTABLE matches (`tag` no
 * backslash either: a trailing one would escape line protocol's separator); `name` lower-case
 * letters, digits and dashes; `raw` anything (sysbench's own lines: replaced when stored).
 */
export type Charset = 'tag' | 'text' | 'name' | 'raw';

/**
 * Characters no stored string may hold: C0 and C1 controls and DEL (terminal escapes), format
 * characters (bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069, marks,
 * zero-width characters), line and paragraph separators, and lone surrogates: they rewrite a
 * terminal or reorder what it shows.
 */
export const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu');
/** Names of detected things (virt, container, kvm verdict). */
const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** The messages an agent sends (proto/virtoverhead.proto), each a row group of WIRE_BOUNDS. */
export type WireMessage = 'Hello' | 'HostFacts' | 'Environment' | 'Result' | 'IntervalSample' | 'AgentStatus' | 'RecordBatch';

export type Bound =
  | { kind: 'text'; maxBytes: number; charset: Charset; empty?: true }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int'; min: number; max: number }
  /** A uint64 on the wire (a decimal string), at most this value. */
  | { kind: 'count'; max: number }
  | { kind: 'bool' }
  /** Nanoseconds since the epoch that InfluxDB can store (`unset`: 0 = not sent). */
  | { kind: 'time'; unset?: true }
  | { kind: 'json'; maxBytes: number }
  | { kind: 'list'; maxItems: number; item: Extract<Bound, { kind: 'text' }> }
  | { kind: 'map'; maxEntries: number; key: Extract<Bound, { kind: 'text' }>; value: Extract<Bound, { kind: 'text' }> }
  /** `fields` of a result or sample: known metric names, each within METRIC_RANGES. */
  | { kind: 'metrics'; of: 'result' | 'interval' }
  /** `resolution`: a step per field of the result, MIN_STEP .. MAX_STEP. */
  | { kind: 'steps' }
  /** `noise` of a result: known noise signals only, each within its range (schema/noise.ts). */
  | { kind: 'noise' }
  /** A nested message, checked against its own row of the table. */
  | { kind: 'message'; of: WireMessage; optional?: true }
  /** RecordBatch's lists: results and samples together at most `maxTotal`. */
  | { kind: 'records'; maxTotal: number };

export type TextBound = Extract<Bound, { kind: 'text' }>;
const tag = (maxBytes = MAX_TAG_BYTES, empty?: true): TextBound => ({ kind: 'text', maxBytes, charset: 'tag', ...(empty ? { empty } : {}) });
const text = (maxBytes: number, empty?: true): TextBound => ({ kind: 'text', maxBytes, charset: 'text', ...(empty ? { empty } : {}) });
const name: TextBound = { kind: 'text', maxBytes: 32, charset: 'name' };
const id = tag(256);

/** Records in one RecordBatch; the 1 MiB message limit bounds it too. */
export const MAX_BATCH_RECORDS = 1000;

/** Every field of every message an agent sends, with its bound. */
export const WIRE_BOUNDS = {
  Hello: {
    protocol_version: { kind: 'int', min: 1, max: 1000 },
    agent_id: tag(),
    hostname: tag(),
    group: tag(),
    role: { kind: 'enum', values: ['baseline', 'guest'] },
    variant: tag(MAX_TAG_BYTES, true),
    host: { kind: 'message', of: 'HostFacts', optional: true },
    environment: { kind: 'message', of: 'Environment' },
    agent_version: text(64, true),
    sysbench_version: text(64, true),
    parent_agent: tag(MAX_TAG_BYTES, true),
    clock_ns: { kind: 'time', unset: true },
  },
  HostFacts: {
    os: text(256, true),
    kernel: text(256, true),
    arch: text(32, true),
    cpu_model: text(256, true),
    cpus: { kind: 'int', min: 0, max: 65_536 },
    memory_bytes: { kind: 'count', max: 2 ** 52 },
  },
  Environment: {
    virt: name,
    container: name,
    kvm: name,
    cpuid_signatures: { kind: 'list', maxItems: 16, item: text(64) },
    detection_json: { kind: 'json', maxBytes: 64 * 1024 },
    declared: { kind: 'map', maxEntries: 32, key: text(64), value: text(256, true) },
  },
  Result: {
    id,
    timestamp_ns: { kind: 'time' },
    run_id: id,
    test: { kind: 'enum', values: TESTS },
    profile: tag(64),
    trial: { kind: 'int', min: 1, max: 1000 },
    threads: { kind: 'int', min: 1, max: 100_000 },
    ok: { kind: 'bool' },
    fields: { kind: 'metrics', of: 'result' },
    // sysbench's own lines (1000 UTF-16 units each from the agent): what it read, so not
    // refused for their characters; unprintable ones are replaced by spaces when stored.
    errors: { kind: 'list', maxItems: 20, item: { kind: 'text', maxBytes: 3000, charset: 'raw', empty: true } },
    sysbench_version: tag(64),
    resolution: { kind: 'steps' },
    noise: { kind: 'noise' },
    disturbed: text(MAX_DISTURBED_REASON, true),
  },
  IntervalSample: {
    id,
    timestamp_ns: { kind: 'time' },
    run_id: id,
    test: { kind: 'enum', values: TESTS },
    profile: tag(64),
    trial: { kind: 'int', min: 1, max: 1000 },
    fields: { kind: 'metrics', of: 'interval' },
    sysbench_version: tag(64),
  },
  AgentStatus: {
    id,
    timestamp_ns: { kind: 'time' },
    spooled: { kind: 'count', max: 1e15 - 1 },
    dropped: { kind: 'count', max: 1e15 - 1 },
    corrupt: { kind: 'count', max: 1e15 - 1 },
    last_run_ok: { kind: 'bool' },
    state: { kind: 'enum', values: ['idle', 'running', 'replaying'] },
    rejected: { kind: 'count', max: 1e15 - 1 },
  },
  RecordBatch: {
    results: { kind: 'records', maxTotal: MAX_BATCH_RECORDS },
    samples: { kind: 'records', maxTotal: MAX_BATCH_RECORDS },
  },
} as const satisfies Record<WireMessage, Record<string, Bound>>;

/** The physical range of each metric: 0 (or MIN_STEP when not 0) up to `max`, in `unit`. */
export const METRIC_RANGES: Record<ResultField | IntervalField, { max: number; unit: string }> = {
  // Rates: sysbench's fastest tests (memory, cpu with many threads) stay below 1e9 events/s.
  events_per_sec: { max: 1e11, unit: 'events/s' },
  reads_per_sec: { max: 1e11, unit: 'operations/s' },
  writes_per_sec: { max: 1e11, unit: 'operations/s' },
  fsyncs_per_sec: { max: 1e11, unit: 'operations/s' },
  operations_per_sec: { max: 1e11, unit: 'operations/s' },
  errors_per_sec: { max: 1e11, unit: 'errors/s' },
  reconnects_per_sec: { max: 1e11, unit: 'reconnects/s' },
  // Bandwidth: memory bandwidth is below 1e6 MiB/s (1 TiB/s).
  read_mib_per_sec: { max: 1e8, unit: 'MiB/s' },
  written_mib_per_sec: { max: 1e8, unit: 'MiB/s' },
  mib_per_sec: { max: 1e8, unit: 'MiB/s' },
  transferred_mib: { max: MAX_FIELD_VALUE, unit: 'MiB' },
  total_events: { max: MAX_FIELD_VALUE, unit: 'events' },
  operations: { max: MAX_FIELD_VALUE, unit: 'operations' },
  fairness_events_avg: { max: MAX_FIELD_VALUE, unit: 'events per thread' },
  fairness_events_stddev: { max: MAX_FIELD_VALUE, unit: 'events per thread' },
  // Durations: a run is bounded by its profile's timeout; 1e7 s is 116 days.
  total_time_s: { max: 1e7, unit: 's' },
  elapsed_s: { max: 1e7, unit: 's' },
  fairness_exec_time_avg: { max: 1e7, unit: 's per thread' },
  fairness_exec_time_stddev: { max: 1e7, unit: 's per thread' },
  latency_min_ms: { max: 1e10, unit: 'ms' },
  latency_avg_ms: { max: 1e10, unit: 'ms' },
  latency_max_ms: { max: 1e10, unit: 'ms' },
  latency_pct_ms: { max: 1e10, unit: 'ms' },
  latency_sum_ms: { max: MAX_FIELD_VALUE, unit: 'ms' },
  latency_pct: { max: 100, unit: 'percentile' },
  threads: { max: 100_000, unit: 'threads' },
  queue_length: { max: 1e9, unit: 'requests' },
};

/**
 * Distinct values a credential (one agent id in one group: what a token or certificate grants)
 * may use per tag, and distinct series it may make. Past a budget the hello or the record is
 * refused with RESOURCE_EXHAUSTED and the reason: one guest's token used up InfluxDB's
 * 100 000-values-per-tag limit in 85 s, after which other guests' new series were refused.
 */
export const TAG_BUDGETS = {
  host: 8,
  variant: 32,
  virt: 8,
  container: 8,
  kvm: 8,
  profile: 64,
  sysbench_version: 16,
} as const;
export const SERIES_BUDGET = 1000;

/**
 * Results one agent may send (issue 23 item 4), on top of the messages' rate limit: each result
 * owes a computation that reads the agent's stored results around it, so a guest stamping
 * results at "now" as fast as it can made every computation read them all. The 20 s flood of 4
 * agents (test/reliability/owed-flood.test.ts, load 14-17) peaked at 617 MB with the queue bounded
 * alone; with the overhead batch indexed (no longer runs × rows) 334 MB without this rate, 319 MB
 * with a burst of 5 000, under 300 MB with 1 000. A real agent sends one per trial (each ≥ 1 s of
 * sysbench); a spool replayed after a year offline (4 runs a day of 3 trials, 4 380 results)
 * takes 11 min at 5/s. The collector's `--result-rate` sets the rate (tests and the fleet bench
 * raise it). Past it the stream pauses: acks slow down, nothing is refused.
 */
export const RESULT_RATE = { perSec: 5, burst: 1000 } as const;

/** Timestamps: what InfluxDB can store, and the window outside which a record is flagged. */
export const TIME_BOUNDS = {
  /** InfluxDB's largest timestamp (2262-04-11). */
  maxNs: 9_223_372_036_854_775_806n,
  /** Earlier than this (2000-01-01) is a wrong clock, not a measurement. */
  earliestNs: 946_684_800_000_000_000n,
  /** Further ahead of the collector's clock than this is a wrong clock. */
  aheadS: 86_400,
  /** An agent whose clock (its hello's clock_ns) is off by more than this has every record flagged. */
  clockToleranceS: 3600,
} as const;

/** An agent's clock offset from its hello's clock_ns (seconds, + ahead of `nowMs`); undefined when it sent none. */
export function clockOffsetSeconds(clockNs: string | undefined, nowMs: number): number | undefined {
  if (!clockNs || clockNs === '0' || !/^\d{1,19}$/.test(clockNs)) return undefined;
  return Number((BigInt(clockNs) - BigInt(nowMs) * 1_000_000n) / 1_000_000_000n);
}

/** An agent clock off by more than the tolerance: every record of that agent is flagged. */
export function wrongClock(offsetS: number | undefined): offsetS is number {
  return offsetS !== undefined && Math.abs(offsetS) > TIME_BOUNDS.clockToleranceS;
}

const RESULT_SET = new Set<string>(RESULT_FIELDS);
const INTERVAL_SET = new Set<string>(INTERVAL_FIELDS);
export const metricNames = (of: 'result' | 'interval'): ReadonlySet<string> => (of === 'result' ? RESULT_SET : INTERVAL_SET);

/** Why a string breaks a text bound (undefined: it does not). */
export function textProblem(value: unknown, b: { maxBytes: number; charset: Charset; empty?: boolean }): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return b.empty ? undefined : 'is empty';
  if (b.charset === 'name') return NAME.test(value) ? undefined : 'must be lower-case letters, digits and dashes (at most 32)';
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a string that short is not counted (every id and tag of every record).
  if (value.length > b.maxBytes || (value.length * 3 > b.maxBytes && Buffer.byteLength(value) > b.maxBytes)) return `is longer than ${b.maxBytes} bytes`;
  if (b.charset === 'raw') return undefined;
  if (UNPRINTABLE.test(value)) return 'contains a control, format or bidi character';
  if (b.charset === 'tag' && value.includes('\\')) return 'contains a backslash';
  return undefined;
}

/** Why a string cannot be an identity value or tag (undefined: it can): the agent checks its own at start. */
export function stringProblem(value: unknown, max = MAX_TAG_BYTES, allowEmpty = false): string | undefined {
  return textProblem(value, { maxBytes: max, charset: 'tag', empty: allowEmpty });
}

/** Why a number cannot be stored as this metric (undefined: it can). */
export function metricProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'is not a finite number';
  const range = METRIC_RANGES[name as ResultField];
  const max = range?.max ?? MAX_FIELD_VALUE;
  if (value < 0 || value > max) return `= ${value} is out of range 0 .. ${max}${range ? ` ${range.unit}` : ''}`;
  if (value !== 0 && value < MIN_STEP) return `= ${value} is finer than sysbench prints (non-zero values start at ${MIN_STEP})`;
  return undefined;
}

/** Why a printing step cannot be a field's resolution (undefined: it can). */
export function stepProblem(step: unknown): string | undefined {
  if (typeof step !== 'number' || !Number.isFinite(step) || step < MIN_STEP || step > MAX_STEP)
    return `must be a step sysbench can print, ${MIN_STEP} .. ${MAX_STEP}`;
  return undefined;
}

/** `value` with each unprintable character replaced (sysbench's error lines, facts an agent read). */
export function replaceUnprintable(value: string, by = '\uFFFD'): string {
  return value.replace(UNPRINTABLE_ALL, by);
}

/** A fact the agent read from its machine, made to fit a text bound: unprintable characters replaced, cut at a character boundary. */
export function fitText(value: string, maxBytes: number): string {
  const clean = replaceUnprintable(value);
  if (Buffer.byteLength(clean) <= maxBytes) return clean;
  let out = '';
  let bytes = 0;
  for (const ch of clean) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes - 3) break;
    out += ch;
    bytes += n;
  }
  return out + '…';
}
