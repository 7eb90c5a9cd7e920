// Facts an agent reports about itself (issue 14 item 1), stored in `agent_info` when they change
// (issue 23 item 2): at a hello, and at a run whose sysbench version differs (recorder.ts). A run
// references its facts by time: the facts in force at a run are those of the agent's newest
// agent_info point at or before it — what every reader (report, Grafana, change points) already
// asked of the point-per-run data earlier versions stored, so that data reads the same.
import type { IPoint } from 'influx';
import type { Hello__Output } from '../../proto/index.js';
import type { IdentityTags } from '../../schema/influx.js';
import type { Row as StoreRow, Selection, Store } from '../store/store.js';
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

/** A stored point's time and facts (history entries, oldest first). */
export interface FactsAtTime {
  timeNs: bigint;
  facts: Facts;
}

const byTime = (a: FactsAtTime, b: FactsAtTime) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0);
const entry = (r: StoreRow): FactsAtTime => ({ timeNs: r.timeNs, facts: storedFacts(r.fields) });

/**
 * The agent's facts over the window from `fromNs` on: the points in it and the newest one at or
 * before its start (the facts in force when it opens), oldest first. Two bounded reads of only the
 * fact fields: a guest's whole history, read once per guest × test × profile, was what a year of
 * points per run cost (issue 23 item 2).
 */
export async function factsWindow(store: Store, group: string, agent: string, fromNs: bigint): Promise<FactsAtTime[]> {
  const [opening, inWindow] = await Promise.all(factsWindowSelections(group, agent, fromNs).map((s) => store.select(s)));
  return factsHistory([...opening!, ...inWindow!]);
}

/**
 * factsWindow's two selects, for one agent or several at once (the change detector reads a chunk
 * of a group's guests in one request): the newest point at or before `fromNs` (per agent), and
 * the points after it.
 */
export function factsWindowSelections(group: string, agent: string | readonly string[], fromNs: bigint): [Selection, Selection] {
  const tags = { group, agent };
  return [
    { measurement: 'agent_info', where: { tags, to: fromNs }, fields: FACT_FIELDS, newest: 1, ...(typeof agent === 'string' ? {} : { groupBy: ['agent'] }) },
    { measurement: 'agent_info', where: { tags, after: fromNs }, fields: FACT_FIELDS },
  ];
}

/** One agent's rows of factsWindowSelections as its history, oldest first. */
export function factsHistory(rows: readonly StoreRow[]): FactsAtTime[] {
  return rows.map(entry).sort(byTime);
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
