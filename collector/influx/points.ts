// From validated wire messages to InfluxDB points (docs/schema.md). Ids stay in fields; tags are
// the bounded identity set. Numbers are written as floats throughout, so a field never changes
// type between writers (InfluxDB rejects a field whose type changes within a shard).
import type { IPoint } from 'influx';
import type { AgentStatus__Output, Hello__Output, IntervalSample__Output, Result__Output } from '../../proto/index.js';
import { RESOLUTION_SUFFIX, type IdentityTags } from '../../schema/influx.js';
import { replaceUnprintable } from '../../schema/bounds.js';
import { fieldSet, seriesKey } from './line.js';
import { contentHash, type Stamp } from './history.js';

export type Tags = Record<string, string>;

/** The identity tag set (schema/influx.ts IDENTITY_TAGS): a tag added there does not compile until it is filled here. */
export function identityTags(h: Hello__Output): IdentityTags {
  return {
    agent: h.agent_id,
    host: h.hostname,
    group: h.group,
    role: h.role,
    virt: h.environment?.virt ?? 'unknown',
    container: h.environment?.container ?? 'unknown',
    kvm: h.environment?.kvm ?? 'unknown',
    variant: h.variant || 'default',
  };
}

/** The printing step of each field as `<field>_resolution` (docs/schema.md). */
function resolutionFields(resolution: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(resolution ?? {}).map(([k, v]) => [`${k}${RESOLUTION_SUFFIX}`, v]));
}

/**
 * The trial's noise signals (schema/noise.ts) and, where the agent judged it, whether it was
 * disturbed and why (docs/schema.md); nothing from agents that record no noise.
 */
function noiseFields(r: Result__Output): Record<string, number | string | boolean> {
  const noise = r.noise ?? {};
  const reason = r.disturbed ?? '';
  if (Object.keys(noise).length === 0 && reason === '') return {};
  return { ...noise, disturbed: reason !== '', ...(reason !== '' ? { disturbed_reason: reason } : {}) };
}

/** `layer`: the hello's nested-stack facts (parent_agent, …; collector/influx/chain-fields.ts), stored with every result. */
export function resultPoint(tags: Tags, r: Result__Output, layer: Record<string, string | number> = {}): IPoint {
  // Object.assign, not spread: the same keys in the same order (the content hash depends on it),
  // but V8 copies a spread followed by literal keys into a dictionary-mode object, ~20 times the
  // cost (4–9 µs against 0.2 µs a point, the ingest profile's largest collector function).
  const fields: Record<string, number | string | boolean> = Object.assign({}, r.fields, resolutionFields(r.resolution), noiseFields(r), layer);
  fields.run_id = r.run_id;
  fields.result_id = r.id;
  fields.trial = r.trial;
  fields.threads = r.threads;
  fields.ok = r.ok;
  // sysbench's own lines may carry control and bidi characters; what is stored and printed must not.
  if (r.errors.length) fields.error = replaceUnprintable(r.errors.join(' | '), ' ');
  return {
    measurement: 'sysbench',
    tags: { ...tags, test: r.test, profile: r.profile, sysbench_version: r.sysbench_version },
    fields,
    timestamp: r.timestamp_ns,
  };
}

function sampleFields(s: IntervalSample__Output): Record<string, number | string> {
  // Not a spread (resultPoint says why); same keys in the same order.
  const fields: Record<string, number | string> = Object.assign({}, s.fields);
  fields.run_id = s.run_id;
  fields.sample_id = s.id;
  fields.trial = s.trial;
  return fields;
}

export function samplePoint(tags: Tags, s: IntervalSample__Output): IPoint {
  return {
    measurement: 'sysbench_interval',
    tags: { ...tags, test: s.test, profile: s.profile, sysbench_version: s.sysbench_version },
    fields: sampleFields(s),
    timestamp: s.timestamp_ns,
  };
}

/** `held`: points the collector was holding when the heartbeat arrived (InfluxDB refusing writes). */
export function statusPoint(tags: Tags, s: AgentStatus__Output, held = 0): IPoint {
  return {
    measurement: 'agent_status',
    tags,
    fields: {
      spooled: Number(s.spooled),
      dropped: Number(s.dropped),
      corrupt: Number(s.corrupt),
      rejected: Number(s.rejected),
      last_run_ok: s.last_run_ok,
      state: s.state,
      collector_held: held,
    },
    timestamp: s.timestamp_ns,
  };
}

/** A point ready for InfluxDB: its line, and for `sysbench` results the point itself (overhead reads it). */
export interface EncodedPoint {
  line: string;
  result?: IPoint;
  /** Results and samples: what the append-only check needs. */
  stamp?: Stamp;
  /** Stored with clock_skew_s: its time is not the measurement's, so nothing is computed from it. */
  flagged?: boolean;
}

/**
 * One stream's encoder. Its identity tags are fixed by the hello, so each series key (per
 * measurement, test, profile and sysbench version) is escaped once and reused: interval
 * samples, the bulk of the traffic, go straight to a line without an intermediate point.
 */
export class StreamEncoder {
  private readonly keys = new Map<string, string>();
  constructor(
    private readonly tags: Tags,
    private readonly layer: Record<string, string | number> = {},
  ) {}

  /** The last key asked for: a stream's records nearly always repeat their predecessor's series. */
  private last = { measurement: '', test: '', profile: '', version: '', key: '' };

  private key(measurement: string, test = '', profile = '', version = ''): string {
    const l = this.last;
    if (l.key && l.measurement === measurement && l.test === test && l.profile === profile && l.version === version) return l.key;
    const id = `${measurement}\0${test}\0${profile}\0${version}`;
    let key = this.keys.get(id);
    if (key === undefined) {
      if (this.keys.size >= 256) this.keys.clear(); // bounded: a hostile agent cannot grow it
      key = seriesKey(measurement, test ? { ...this.tags, test, profile, sysbench_version: version } : this.tags);
      this.keys.set(id, key);
    }
    this.last = { measurement, test, profile, version, key };
    return key;
  }

  /** `skewS`: the record's clock skew (validate.ts clockSkewSeconds), stored as a flag when set. */
  result(r: Result__Output, skewS?: number): EncodedPoint {
    const point = resultPoint(this.tags, r, this.layer);
    const values = point.fields as Record<string, number | string | boolean>;
    // Not a spread of stamped()'s object (resultPoint says why).
    const encoded = this.stamped('sysbench', this.key('sysbench', r.test, r.profile, r.sysbench_version), fieldSet(values), r.timestamp_ns, skewS, values);
    encoded.result = point;
    return encoded;
  }

  sample(s: IntervalSample__Output, skewS?: number): EncodedPoint {
    const values = sampleFields(s);
    return this.stamped(
      'sysbench_interval',
      this.key('sysbench_interval', s.test, s.profile, s.sysbench_version),
      fieldSet(values),
      s.timestamp_ns,
      skewS,
      values,
    );
  }

  /**
   * The line with its content_hash field (history.ts), and the stamp the writer checks. The
   * clock_skew_s flag comes after the hash: it depends on when the record arrived, not on what
   * was measured, so a later resend is still "the same content".
   */
  private stamped(
    measurement: string,
    key: string,
    fields: string,
    ts: string,
    skewS: number | undefined,
    values: Record<string, number | string | boolean>,
    unhashed: Record<string, number> = {},
  ): EncodedPoint {
    const hash = contentHash(key, fields, ts);
    const extra = fieldSet(skewS === undefined ? unhashed : { ...unhashed, clock_skew_s: skewS });
    // One shape for every point (no conditional spread): the writer's queue holds them all.
    return {
      line: `${key} ${fields},content_hash="${hash}"${extra ? `,${extra}` : ''} ${ts}`,
      result: undefined,
      stamp: { measurement, agent: this.tags.agent!, key, ts, hash, values, at: undefined, time: undefined },
      flagged: skewS !== undefined,
    };
  }

  /**
   * Heartbeats are history too (docs/RELIABILITY.md): stamped and checked like results, so a
   * past heartbeat (its spooled, dropped and rejected counts) cannot be rewritten. Only
   * `collector_held`, the collector's own state when it arrived, is outside the hash.
   */
  status(s: AgentStatus__Output, held = 0): EncodedPoint {
    const { collector_held, ...reported } = statusPoint(this.tags, s, held).fields as Record<string, number | string | boolean>;
    return this.stamped('agent_status', this.key('agent_status'), fieldSet(reported), s.timestamp_ns, undefined, reported, {
      collector_held: Number(collector_held),
    });
  }
}
