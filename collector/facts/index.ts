// Facts an agent reports about itself (issue 14 item 1): written as `agent_info` at each
// hello — agents connect once per run in --once and timer mode, and a changed kernel, QEMU or
// agent means a restart, hence a new hello — and at each run (runs.ts: a daemon agent's
// sysbench can change under one connection); each compared with the agent's previous
// `agent_info`: a difference is recorded on the new point as an event (`changed`).
// Stateless like the rest of the collector: the previous facts are read back from InfluxDB.
import type { InfluxDB, IPoint } from 'influx';
import type { Hello__Output } from '../../proto/index.js';
import type { IdentityTags } from '../../schema/influx.js';
import { eq } from '../../schema/influxql.js';
import { changedFacts, describeFacts, type Facts } from './changed.js';

/** Fact names stored as `agent_info` fields: strings, except these counts (floats, like every number). */
export const FACT_FIELDS = [
  'os',
  'kernel',
  'arch',
  'cpu_model',
  'cpus',
  'memory_bytes',
  'agent_version',
  'sysbench_version',
  'qemu_version',
  'declared',
] as const;
const NUMERIC_FACTS = new Set(['cpus', 'memory_bytes']);

/** A stored row's facts, as strings for comparison. */
export function storedFacts(r: Row): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FACT_FIELDS) if (typeof r[f] === 'string' || typeof r[f] === 'number') out[f] = String(r[f]);
  return out;
}

interface Row {
  [k: string]: unknown;
}

/** Declared keys that mean the QEMU version (the lab declares `qemu_version`). */
const QEMU_KEYS = ['qemu_version', 'qemu'];

/** The facts of a hello, as `agent_info` fields. Empty values are left out (unknown ≠ empty). */
export function helloFacts(h: Hello__Output): Record<string, string> {
  const declared = h.environment?.declared ?? {};
  const qemu = QEMU_KEYS.map((k) => declared[k]).find((v) => v);
  const facts: Record<string, string | undefined> = {
    os: h.host?.os,
    kernel: h.host?.kernel,
    arch: h.host?.arch,
    cpu_model: h.host?.cpu_model,
    cpus: h.host?.cpus ? String(h.host.cpus) : undefined,
    memory_bytes: h.host?.memory_bytes && h.host.memory_bytes !== '0' ? String(h.host.memory_bytes) : undefined,
    agent_version: h.agent_version,
    sysbench_version: h.sysbench_version,
    qemu_version: qemu,
    // Every declared fact, as one sorted JSON object: bounded (32 × 256 B by validation).
    declared: Object.keys(declared).length > 0 ? JSON.stringify(Object.fromEntries(Object.entries(declared).sort(([a], [b]) => (a < b ? -1 : 1)))) : undefined,
  };
  return Object.fromEntries(Object.entries(facts).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** The `agent_info` point: identity tags, facts as fields, plus `changed`/`changed_detail` when facts differ from `previous`. */
export function agentInfoPoint(tags: IdentityTags, facts: Facts, previous: Facts | null, timeNs: bigint): IPoint {
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(facts)) fields[k] = NUMERIC_FACTS.has(k) ? Number(v) : v;
  if (previous) {
    // Compared one-to-one (span 1): each hello is one observation of the agent.
    // `declared` is compared through its named parts (qemu_version), not as a whole object.
    const { declared: _b, ...before } = previous;
    const { declared: _a, ...after } = facts;
    const diff = changedFacts([before], [after], 1);
    if (diff.length > 0) {
      fields.changed = diff.map((d) => d.name).join(',');
      fields.changed_detail = describeFacts(diff);
    }
  }
  return { measurement: 'agent_info', tags: { ...tags }, fields, timestamp: timeNs.toString() };
}

/** The facts of the agent's newest `agent_info` point (at or before `atNs` if given), or null. */
export async function lastFacts(influx: InfluxDB, database: string, tags: IdentityTags, atNs?: bigint): Promise<Facts | null> {
  const where = [eq('group', tags.group), eq('agent', tags.agent), ...(atNs === undefined ? [] : [`time <= ${atNs}`])].join(' AND ');
  const rows = (await influx.query(`SELECT * FROM "agent_info" WHERE ${where} ORDER BY time DESC LIMIT 1`, { database })) as unknown as Row[];
  if (rows.length === 0) return null;
  return storedFacts(rows[0]!);
}

/** Writes the hello's `agent_info` point (with its fact changes). */
export async function recordHello(influx: InfluxDB, database: string, tags: IdentityTags, hello: Hello__Output, nowNs: bigint): Promise<IPoint> {
  const point = agentInfoPoint(tags, helloFacts(hello), await lastFacts(influx, database, tags), nowNs);
  await influx.writePoints([point], { database, precision: 'n' });
  return point;
}

/** agent_info facts over time (those after `afterNs` when given), for attaching to runs: sorted by time. */
export async function factsHistory(
  influx: InfluxDB,
  database: string,
  group: string,
  agent: string,
  afterNs?: bigint,
): Promise<Array<{ timeNs: bigint; facts: Facts }>> {
  const after = afterNs === undefined ? '' : ` AND time > ${afterNs}`;
  const rows = (await influx.query(`SELECT * FROM "agent_info" WHERE ${eq('group', group)} AND ${eq('agent', agent)}${after}`, {
    database,
  })) as unknown as Array<Row & { time: { getNanoTime(): string } }>;
  return rows
    .map((r) => ({ timeNs: BigInt(r.time.getNanoTime()), facts: storedFacts(r) }))
    .sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
}

/**
 * The facts in force at timeNs: those of the newest agent_info at or before it (binary search).
 * agent_info is stamped by the collector's clock at the hello, a run by the agent's clock when
 * it ends, after the hello: an agent clock behind the collector's by more than a run's length
 * gives a run the facts of the hello before (`slackNs` shifts the comparison by a known skew).
 */
export function factsAt(history: ReadonlyArray<{ timeNs: bigint; facts: Facts }>, timeNs: bigint, slackNs = 0n): Facts {
  timeNs += slackNs;
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (history[mid]!.timeNs <= timeNs) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? history[lo - 1]!.facts : {};
}
