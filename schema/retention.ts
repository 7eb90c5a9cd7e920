// Which retention policy each measurement lives in (issue 14 item 5): the one place that decides
// it. Interval samples, the bulk of the data, and the per-minute silence checks sit in a short
// policy (`samples`, 30 days); every
// other measurement, and the 5-minute downsampling of the samples, in the database's default
// policy (`autogen`, kept forever), so every query that names no policy reads them as before.
// Writers and queries ask `policyOf` / `measurementRef`; no other file names a policy.
import type { Measurement } from './influx.js';
import { quoteIdent } from './influxql.js';

/** `samples`: short-lived, high-rate; `kept`: the database's default policy, kept for months. */
export type RetentionClass = 'samples' | 'kept';

export const RETENTION_OF = {
  sysbench: 'kept',
  sysbench_interval: 'samples',
  sysbench_interval_5m: 'kept',
  sysbench_interval_1d: 'kept',
  sysbench_1d: 'kept',
  sysbench_report_1d: 'kept',
  sysbench_report_7d: 'kept',
  rollup_filled: 'kept',
  agent_status: 'kept',
  overhead: 'kept',
  overhead_latest: 'kept',
  overhead_chain: 'kept',
  agent_info: 'kept',
  agent_clock: 'kept',
  // Rewritten every minute for every agent (52 M points a year for 100 agents); only the newest matters.
  agent_silence: 'samples',
  collector_stats: 'kept',
  overhead_change: 'kept',
  overhead_series: 'kept',
  overhead_owed: 'kept',
} as const satisfies Record<Measurement, RetentionClass>;

export interface RetentionPolicy {
  name: string;
  /** An InfluxQL duration literal: 30d, 4w, 12h (at least 1h), or INF (kept forever). */
  duration: string;
}

export interface RetentionSettings {
  samples: RetentionPolicy;
  /** Made the database's default policy: measurements in it are read and written without naming it. */
  kept: RetentionPolicy;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  samples: { name: 'samples', duration: '30d' },
  kept: { name: 'autogen', duration: 'INF' },
};

/** The policy a write or query of `m` names; undefined: the database's default (the kept policy). */
export function policyOf(m: Measurement, r: RetentionSettings = DEFAULT_RETENTION): string | undefined {
  return RETENTION_OF[m] === 'samples' && r.samples.name !== r.kept.name ? r.samples.name : undefined;
}

/** `m` as a FROM clause names it: `"samples"."sysbench_interval"`, or `"overhead"`. */
export function measurementRef(m: Measurement, r: RetentionSettings = DEFAULT_RETENTION): string {
  const rp = policyOf(m, r);
  return rp ? `${quoteIdent(rp)}.${quoteIdent(m)}` : quoteIdent(m);
}

/** Interval samples are downsampled into `sysbench_interval_5m` (kept) in windows this long. */
export const DOWNSAMPLE_WINDOW = '5m';
export const DOWNSAMPLE_WINDOW_MS = 300_000;
