// The collector's retention policies and the downsampling of interval samples (docs/schema.md
// "Retention"), set up idempotently at every start: a policy missing is created, one whose
// duration differs from the options is ALTERed (and logged), the kept policy is made the
// database's default; the continuous query is created once and replaced only when its text
// changes. InfluxDB's answer to SHOW RETENTION POLICIES is the state; the collector keeps none.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { UsageError } from '../../lib/errors.js';
import { DOWNSAMPLE_AGGREGATES, DOWNSAMPLED_INTERVAL_FIELDS } from '../../schema/influx.js';
import { quoteIdent } from '../../schema/influxql.js';
import { DOWNSAMPLE_WINDOW, DOWNSAMPLE_WINDOW_MS, type RetentionPolicy, type RetentionSettings } from '../../schema/retention.js';
import type { RawQuery } from './http.js';

const HOUR_NS = 3_600_000_000_000n;
const UNIT_HOURS = { h: 1n, d: 24n, w: 168n } as const;

/** A policy duration option (30d, 4w, 12h, INF) checked, as InfluxQL writes it. */
export function retentionDuration(text: string, option: string): string {
  const t = text.trim();
  if (/^inf$/i.test(t)) return 'INF';
  const m = /^(\d+)(h|d|w)$/.exec(t);
  if (!m || BigInt(m[1]!) * UNIT_HOURS[m[2] as keyof typeof UNIT_HOURS] < 1n)
    throw new UsageError(`--${option}: '${text}' is not a retention duration (use e.g. 12h, 30d, 4w, at least 1h, or INF to keep forever)`);
  return t;
}

/** A policy name option checked: InfluxQL quotes it, but an empty or control-character name is a mistake. */
export function retentionName(text: string, option: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text)) throw new UsageError(`--${option}: '${text}' is not a retention policy name (letters, digits, _ . -, at most 64)`);
  return text;
}

/** Nanoseconds of a duration literal (INF = 0, as InfluxDB reports it). */
export function durationNs(literal: string): bigint {
  if (literal === 'INF') return 0n;
  const m = /^(\d+)(h|d|w)$/.exec(literal)!;
  return BigInt(m[1]!) * UNIT_HOURS[m[2] as keyof typeof UNIT_HOURS] * HOUR_NS;
}

/** Nanoseconds of a Go duration as SHOW RETENTION POLICIES prints it: 720h0m0s, 0s. */
export function goDurationNs(text: string): bigint {
  const units: Record<string, bigint> = { h: HOUR_NS, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1000n, µs: 1000n, ns: 1n };
  let ns = 0n;
  for (const [, n, u] of text.matchAll(/(\d+)(ms|us|µs|ns|h|m|s)/g)) ns += BigInt(n!) * units[u!]!;
  return ns;
}

/**
 * The shard group duration of a policy (issue 26). InfluxDB's default for a policy kept forever is
 * 7 days, so a query over a year opens every series in 52 shards: last() of 2 000 series over a
 * year took 27–48 s here, and 0.6–1.5 s with one shard a year. A quarter of the retention (expiry
 * then drops at most a quarter at once: 30 days kept become 30–37), whole days, at most 52 weeks.
 */
export function shardDuration(duration: string): string {
  const ns = durationNs(duration);
  if (ns === 0n) return '52w';
  const hours = ns / 4n / HOUR_NS;
  if (hours < 24n) return `${hours > 0n ? hours : 1n}h`;
  const days = hours / 24n;
  return `${days < 364n ? days : 364n}d`;
}

interface PolicyRow {
  name: string;
  duration: string;
  shardDuration: string;
  default: boolean;
}

async function run(query: RawQuery, q: string): Promise<Array<{ name: string; columns: string[]; values: unknown[][] }>> {
  const answer = await query(q);
  const err = answer.error ?? answer.results?.find((r) => r.error)?.error;
  if (err) throw new Error(`InfluxDB refused "${q.slice(0, 200)}": ${err}`);
  // A series without rows (SHOW CONTINUOUS QUERIES of a database with none) has no `values`.
  return answer.results?.flatMap((r) => (r.series ?? []).map((s) => ({ ...s, values: s.values ?? [] }))) ?? [];
}

export async function showPolicies(query: RawQuery, database: string): Promise<PolicyRow[]> {
  const series = await run(query, `SHOW RETENTION POLICIES ON ${quoteIdent(database)}`);
  return series.flatMap((s) =>
    s.values.map((v) => ({
      name: String(v[s.columns.indexOf('name')]),
      duration: String(v[s.columns.indexOf('duration')]),
      shardDuration: String(v[s.columns.indexOf('shardGroupDuration')]),
      default: v[s.columns.indexOf('default')] === true,
    })),
  );
}

/** What ensureRetention did, one line each (empty: everything was already as asked). */
export type RetentionAction = {
  policy: string;
  action: 'created' | 'duration changed' | 'shard duration changed' | 'made default';
  from?: string;
  to?: string;
};

/** Creates or ALTERs the policies so they match `settings`; logs every change. */
export async function ensurePolicies(query: RawQuery, database: string, settings: RetentionSettings, log: Logger): Promise<RetentionAction[]> {
  const existing = await showPolicies(query, database);
  const actions: RetentionAction[] = [];
  const db = quoteIdent(database);
  const wanted: Array<[RetentionPolicy, boolean]> = [[settings.kept, true]];
  if (settings.samples.name !== settings.kept.name) wanted.push([settings.samples, false]);
  for (const [p, isDefault] of wanted) {
    const rp = quoteIdent(p.name);
    const have = existing.find((e) => e.name === p.name);
    if (!have) {
      await run(
        query,
        `CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${p.duration} REPLICATION 1 SHARD DURATION ${shardDuration(p.duration)}${isDefault ? ' DEFAULT' : ''}`,
      ).catch(unlessRaced);
      actions.push({ policy: p.name, action: 'created', to: p.duration });
      continue;
    }
    if (goDurationNs(have.duration) !== durationNs(p.duration)) {
      await run(query, `ALTER RETENTION POLICY ${rp} ON ${db} DURATION ${p.duration}`);
      actions.push({ policy: p.name, action: 'duration changed', from: have.duration, to: p.duration });
    }
    // New shard groups only: those written before keep theirs until they expire.
    if (goDurationNs(have.shardDuration) !== durationNs(shardDuration(p.duration))) {
      await run(query, `ALTER RETENTION POLICY ${rp} ON ${db} SHARD DURATION ${shardDuration(p.duration)}`);
      actions.push({ policy: p.name, action: 'shard duration changed', from: have.shardDuration, to: shardDuration(p.duration) });
    }
    if (isDefault && !have.default) {
      await run(query, `ALTER RETENTION POLICY ${rp} ON ${db} DEFAULT`);
      actions.push({ policy: p.name, action: 'made default', from: existing.find((e) => e.default)?.name });
    }
  }
  for (const a of actions)
    log[a.action === 'created' || a.action === 'shard duration changed' ? 'info' : 'warn'](
      { database, ...a },
      a.action === 'made default'
        ? `retention policy ${a.policy} is now the default: queries that name no policy no longer read ${a.from ?? 'the previous default'}`
        : `retention policy ${a.policy}: ${a.action}${a.from ? ` from ${a.from}` : ''} to ${a.to}`,
    );
  return actions;
}

function unlessRaced(err: Error): [] {
  if (/already exists|not found/i.test(err.message)) return [];
  throw err;
}

/** The interval samples, fully qualified (a CQ runs outside any default database). */
function samplesSource(database: string, settings: RetentionSettings): string {
  return `${quoteIdent(database)}.${quoteIdent(settings.samples.name)}.${quoteIdent('sysbench_interval')}`;
}

/**
 * The SELECT that turns interval samples into 5-minute mean/min/max, without a time range. The
 * count is made a float (× 1.0): every number in the schema is a float, and an integer `samples`
 * would conflict with float points of the same shard (InfluxDB refuses the whole write).
 */
export function downsampleSelect(database: string, settings: RetentionSettings, where = ''): string {
  const aggregates = DOWNSAMPLED_INTERVAL_FIELDS.flatMap((f) => DOWNSAMPLE_AGGREGATES.map((a) => `${a}(${quoteIdent(f)}) AS ${quoteIdent(`${f}_${a}`)}`));
  const source = samplesSource(database, settings);
  const into = `${quoteIdent(database)}.${quoteIdent(settings.kept.name)}.${quoteIdent('sysbench_interval_5m')}`;
  return `SELECT ${aggregates.join(', ')}, count(${quoteIdent('elapsed_s')}) * 1.0 AS ${quoteIdent('samples')} INTO ${into} FROM ${source}${where ? ` WHERE ${where}` : ''} GROUP BY time(${DOWNSAMPLE_WINDOW}), *`;
}

/** The continuous query's name carries a digest of its text, so a changed text is a new name. */
export const CQ_PREFIX = 'sysbench_interval_5m';

/**
 * Every minute InfluxDB's CQ service recomputes the windows of the last hour: a window fills in
 * while its run goes on, and samples up to an hour late (a reconnecting agent) are counted.
 */
export function continuousQuery(database: string, settings: RetentionSettings): { name: string; statement: string } {
  const select = downsampleSelect(database, settings);
  const name = `${CQ_PREFIX}_${createHash('sha256').update(select).digest('hex').slice(0, 8)}`;
  return { name, statement: `CREATE CONTINUOUS QUERY ${quoteIdent(name)} ON ${quoteIdent(database)} RESAMPLE EVERY 1m FOR 1h BEGIN ${select} END` };
}

/** Creates the downsampling CQ unless it exists with this text; drops ours with another text. */
export async function ensureContinuousQuery(
  query: RawQuery,
  database: string,
  settings: RetentionSettings,
  log: Logger,
): Promise<'created' | 'replaced' | 'kept'> {
  const { name, statement } = continuousQuery(database, settings);
  const series = await run(query, 'SHOW CONTINUOUS QUERIES');
  const names = series.filter((s) => s.name === database).flatMap((s) => s.values.map((v) => String(v[s.columns.indexOf('name')])));
  if (names.includes(name)) return 'kept';
  const old = names.filter((n) => n.startsWith(CQ_PREFIX));
  // Collectors starting together race here: a CQ another one dropped or created already is fine.
  for (const n of old) await run(query, `DROP CONTINUOUS QUERY ${quoteIdent(n)} ON ${quoteIdent(database)}`).catch(unlessRaced);
  await run(query, statement).catch(unlessRaced);
  log[old.length ? 'warn' : 'info'](
    { database, continuousQuery: name, dropped: old },
    old.length ? 'replaced the downsampling continuous query' : 'created the downsampling continuous query',
  );
  return old.length ? 'replaced' : 'created';
}

/**
 * Downsamples every stored sample again, a day at a time (the same SELECT as the CQ, so the
 * result is identical and writing it twice changes nothing): covers what the CQ cannot see —
 * samples that arrived more than an hour late, and InfluxDBs whose CQ service is off.
 * A day with no samples jumps to the next stored sample, so the walk costs the days that hold
 * samples, not the days since the earliest: with `--samples-retention INF` one sample from a
 * clock set to 1970 had made every start walk 20 000 empty days (48 s of queries).
 * Returns the number of 5-minute points written.
 */
export async function backfillDownsampled(query: RawQuery, database: string, settings: RetentionSettings, nowMs = Date.now()): Promise<number> {
  const source = samplesSource(database, settings);
  const windowNs = BigInt(DOWNSAMPLE_WINDOW_MS) * 1_000_000n;
  const dayNs = 24n * HOUR_NS;
  const end = BigInt(nowMs) * 1_000_000n + windowNs;
  /** The window holding the first sample at or after `fromNs`, or null when there is none. */
  const nextWindow = async (fromNs: bigint | null): Promise<bigint | null> => {
    const first = await run(query, `SELECT first(${quoteIdent('elapsed_s')}) FROM ${source}${fromNs === null ? '' : ` WHERE time >= ${fromNs}`}`);
    const ns = first[0]?.values[0]?.[0];
    return ns === undefined ? null : (BigInt(String(ns)) / windowNs) * windowNs;
  };
  let from = await nextWindow(null);
  let written = 0;
  while (from !== null && from < end) {
    const series = await run(query, downsampleSelect(database, settings, `time >= ${from} AND time < ${from + dayNs}`));
    const day = series.reduce((n, s) => n + Number(s.values[0]?.[s.columns.indexOf('written')] ?? 0), 0);
    written += day;
    from = day > 0 ? from + dayNs : await nextWindow(from + dayNs);
  }
  return written;
}
