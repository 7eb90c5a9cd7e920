// Stored history is append-only. InfluxDB silently replaces a point written again with the same
// series key and timestamp, so before a batch is written every result and sample in it is
// checked against what is already stored there: the same content (a resend after a lost ack)
// is acknowledged without writing, other content is refused as a conflict and never written.
// Each point carries `content_hash` (a digest of its series key, fields and timestamp), so
// the check reads one short field. Recent points are remembered in a bounded map; the rest are
// looked up with one query per agent and time cluster of the batch — except points newer than
// anything stored in their series (issue 26): at an agent's first batch after its hello here, the
// newest stored point of each of its series is read once, before its points are checked (so
// its first batch is not looked up either); a point after it cannot overwrite anything, so a
// live agent's new records need no query (the check doubled InfluxDB's work per point).
// Replayed and resent records, older than that, are looked up. The agent's next hello (it may
// have written through another collector meanwhile) reads them again, and so does
// its first batch after it was not heard from for `forgetAfterMs` (a departed guest's series keys
// leave memory: forgetting costs only that one read).
// A point stored before content_hash existed (older collectors) has no hash to compare: those
// are read back whole and compared value by value on the fields both have, which must include
// the record's id (result_id / sample_id). Equal: the same record, acked without writing (the
// stored point stays as it is, without a hash). Any value differing, or no id to match: a
// conflict. Fields only one side has are collector additions across versions, not the record.
import * as crypto from 'node:crypto';
import { flat } from '../../lib/flat-string.js';
import { groupBy } from '../../lib/group-by.js';
import { FORGET_AFTER_MS, IdleMap } from '../../lib/idle-map.js';
import { seriesKey } from './line.js';
import type { RawQuery } from './http.js';

/** What the guard needs to know of a point (results and samples; status heartbeats have none). */
export interface Stamp {
  measurement: string;
  agent: string;
  /** The escaped series key, as in the line. */
  key: string;
  ts: string;
  hash: string;
  /** The point's field values: compared with a point stored before content_hash existed. */
  values?: Record<string, number | string | boolean>;
  /** `${key} ${ts}`, made once (at): the guard looks a point up in several maps by it. */
  at?: string;
  /** `ts` as a number, parsed once (timeOf): the guard compares it with its series' newest. */
  time?: bigint;
}

/**
 * A stamp's position (series key and time), built once per stamp: the profile of the ingest bench
 * had the guard building this 250-character string five times per point, each a fresh string
 * V8 had to flatten and hash again for every map lookup (issue 26).
 */
export function positionOf(s: Stamp): string {
  return (s.at ??= `${s.key} ${s.ts}`);
}

/** A stamp's time, parsed once per stamp (it was parsed twice per new point). */
export function timeOf(s: Stamp): bigint {
  return (s.time ??= BigInt(s.ts));
}

export type Verdict = 'new' | 'same' | 'conflict';

export class HistoryConflictError extends Error {
  override name = 'HistoryConflictError';
}

/** 128 bits of SHA-256 over the line without its hash field. */
export function contentHash(key: string, fields: string, ts: string): string {
  return sha256(`${key} ${fields} ${ts}`).slice(0, 22);
}

/** crypto.hash (Node ≥ 20.12) is one call instead of a Hash object per point: 1.4 against 2.6 µs here; the same digest. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;
const sha256 = oneShot
  ? (data: string) => oneShot('sha256', data, 'base64url')
  : (data: string) => crypto.createHash('sha256').update(data).digest('base64url');

/** Points further apart than this in one batch are looked up by separate time ranges. */
const CLUSTER_GAP_NS = 600_000_000_000n;

/** Per agent: the measurements whose series' newest stored points were read since its hello, and those series. */
interface Newest {
  measurements: Set<string>;
  series: Set<string>;
}

export class HistoryGuard {
  /** `${key} ${ts}` → hash of what is stored there; oldest entries go first. */
  private readonly known = new Map<string, string>();
  /** Series key → nothing of it is stored after this time (its newest stored point, or one admitted since). */
  private readonly newest = new Map<string, bigint>();
  /** Agents whose newest points are known, least recently heard first; forgotten when gone a while or over the bound. */
  private readonly agents: IdleMap<string, Newest>;
  /** Points admitted without a lookup because they were newer than their series (for tests and stats). */
  newerThanStored = 0;
  /** Admitted and not yet accepted by InfluxDB: a same-content resend is written again, not acked early. */
  private readonly admitted = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();
  conflicts = 0;
  sameResends = 0;

  /**
   * `from`: the FROM clause of a measurement, naming its retention policy (schema/retention.ts
   * measurementRef). `forget`: an agent not heard from for `afterMs` is forgotten (`now`: the clock).
   */
  constructor(
    private readonly query: RawQuery,
    private readonly maxKnown = 50_000,
    private readonly from: (measurement: string) => string = (m) => `"${m}"`,
    maxAgents = 20_000,
    forget: { afterMs: number; now?: () => number } = { afterMs: FORGET_AFTER_MS },
  ) {
    this.agents = new IdleMap({ idleMs: forget.afterMs, max: maxAgents, now: forget.now, onForget: (_, e) => this.dropSeries(e) });
  }

  /** Agents, and series, whose newest points are known now (a test checks what is forgotten). */
  get agentsKnown(): number {
    return this.agents.size;
  }
  get seriesKnown(): number {
    return this.newest.size;
  }

  /** The agent said hello here: what it wrote elsewhere since may be newer than what was read for it. */
  agentConnected(agent: string): void {
    const e = this.agents.peek(agent);
    if (!e) return;
    this.agents.delete(agent);
    this.dropSeries(e);
  }

  private dropSeries(e: Newest): void {
    for (const key of e.series) this.newest.delete(key);
  }

  /**
   * Verdicts for a batch, in order. Checks run one at a time, so a point admitted by one batch
   * is known to the next before it is written. Throws when InfluxDB cannot be asked (the
   * caller holds the batch and retries, as for a failed write).
   */
  check(stamps: Stamp[]): Promise<Verdict[]> {
    const run = this.chain.then(() => this.checkNow(stamps));
    this.chain = run.catch(() => {});
    return run;
  }

  /** InfluxDB accepted these points. */
  stored(stamps: Stamp[]): void {
    for (const s of stamps) {
      const at = positionOf(s);
      this.admitted.delete(at);
      this.remember(at, s.hash);
    }
  }

  /** These admitted points were not written (refused, or the collector stopped). */
  forget(stamps: Stamp[]): void {
    for (const s of stamps) this.admitted.delete(positionOf(s));
  }

  private remember(at: string, hash: string): void {
    this.known.delete(at);
    this.known.set(at, hash);
    if (this.known.size > this.maxKnown) this.known.delete(this.known.keys().next().value!);
  }

  private async checkNow(stamps: Stamp[]): Promise<Verdict[]> {
    // Heard from now (which also forgets the agents gone longer than forgetAfterMs).
    for (const agent of new Set(stamps.map((s) => s.agent))) this.agents.touch(agent);
    // Agents whose series this collector has not read since their hello: their newest points
    // first, so that their first batch needs a lookup only for what is not after them (a new
    // live agent's needs none: at N = 1 000 agents of 40 points, every point was looked up).
    const unread = new Map<string, Stamp>();
    for (const s of stamps) if (!this.agents.peek(s.agent)?.measurements.has(s.measurement)) unread.set(`${s.measurement}\0${s.agent}`, s);
    if (unread.size) await this.readNewest([...unread.values()]);
    const fresh = new Set<Stamp>();
    const unknown: Stamp[] = [];
    for (const s of stamps) {
      const at = positionOf(s);
      if (this.known.has(at) || this.admitted.has(at)) continue;
      if (this.afterNewest(s)) fresh.add(s);
      else unknown.push(s);
    }
    const stored = unknown.length ? await this.lookup(unknown) : new Map<string, string>();
    return stamps.map((s) => {
      const at = positionOf(s);
      const pending = this.admitted.get(at);
      if (pending !== undefined && pending === s.hash) return 'new'; // written again, identical
      const have = pending ?? this.known.get(at) ?? stored.get(at);
      if (have === undefined) {
        this.admitted.set(at, s.hash);
        this.raiseNewest(s);
        if (fresh.has(s)) this.newerThanStored++;
        return 'new';
      }
      if (have === s.hash) {
        this.sameResends++;
        this.raiseNewest(s);
        return 'same';
      }
      this.conflicts++;
      return 'conflict';
    });
  }

  /** Nothing can be stored at this point: its series' newest stored point is known and older. */
  private afterNewest(s: Stamp): boolean {
    if (!this.agents.peek(s.agent)?.measurements.has(s.measurement)) return false;
    const n = this.newest.get(s.key);
    return n === undefined || timeOf(s) > n;
  }

  private raiseNewest(s: Stamp): void {
    const e = this.agents.peek(s.agent);
    if (!e?.measurements.has(s.measurement)) return;
    const t = timeOf(s);
    const n = this.newest.get(s.key);
    if (n === undefined) this.keep(e, s.key, t);
    else if (t > n) this.newest.set(s.key, t);
  }

  /** A series newly known for the agent: its key kept in one piece (lib/flat-string.ts), held by both maps. */
  private keep(e: Newest, key: string, t: bigint): void {
    const k = flat(key);
    this.newest.set(k, t);
    e.series.add(k);
  }

  /** The statement reading the newest stored point of every series of the stamp's agent and measurement. */
  private newestStatement(s: Stamp): string {
    return `SELECT ${PRESENT[s.measurement] ? `"content_hash", "${PRESENT[s.measurement]}"` : '*'} FROM ${this.from(s.measurement)} WHERE "agent" = '${quote(s.agent)}' GROUP BY * ORDER BY time DESC LIMIT 1`;
  }

  /** The newest stored point of every series of these agents' measurements (one statement each, one request). */
  private async readNewest(stamps: Stamp[]): Promise<void> {
    const answer = await this.query(stamps.map((s) => this.newestStatement(s)).join('; '));
    if (answer.error) throw new Error(`InfluxDB query failed: ${answer.error}`);
    this.takeNewest(stamps, answer.results ?? []);
  }

  /** Records what newestStatement of each stamp answered (results in the stamps' order). */
  private takeNewest(stamps: Stamp[], results: NonNullable<Awaited<ReturnType<RawQuery>>['results']>): void {
    stamps.forEach((s, i) => {
      const r = results[i];
      if (r?.error) throw new Error(`InfluxDB query failed: ${r.error}`);
      let e = this.agents.peek(s.agent);
      if (!e) this.agents.set(s.agent, (e = { measurements: new Set(), series: new Set() }));
      for (const series of r?.series ?? []) {
        const key = seriesKey(series.name, series.tags ?? {});
        const t = BigInt(String(series.values[0]?.[0]));
        const n = this.newest.get(key);
        if (n === undefined) this.keep(e, key, t);
        else if (t > n) this.newest.set(key, t);
      }
      e.measurements.add(s.measurement);
    });
  }

  /**
   * What InfluxDB holds at these points' series and timestamps: `${key} ${ts}` → hash. A point
   * stored without a hash is compared whole (legacyVerdicts): its entry is then this point's
   * own hash when it is the same record, LEGACY_OTHER when not.
   */
  private async lookup(stamps: Stamp[]): Promise<Map<string, string>> {
    const out = await this.read(
      stamps,
      (m) => (PRESENT[m] ? `"content_hash", "${PRESENT[m]}"` : '*'),
      (columns, row) => {
        const v = row[columns.indexOf('content_hash')];
        return typeof v === 'string' ? v : '';
      },
    );
    const legacy = stamps.filter((s) => out.get(positionOf(s)) === '');
    if (legacy.length) {
      const values = await this.read(
        legacy,
        () => '*',
        (columns, row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])),
      );
      for (const s of legacy) {
        const at = positionOf(s);
        out.set(at, sameRecord(s.values, values.get(at)) ? s.hash : LEGACY_OTHER);
      }
    }
    return out;
  }

  /** One query per agent and time cluster; `pick` makes each stored row's entry. */
  private async read<T>(stamps: Stamp[], select: (measurement: string) => string, pick: (columns: string[], row: unknown[]) => T): Promise<Map<string, T>> {
    const statements: string[] = [];
    // Grouped by pushing, not by copying the group at each point (quadratic in a replay's batch).
    for (const group of groupBy(stamps, (s) => `${s.measurement}\0${s.agent}`).values()) {
      const times = group.map(timeOf).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      let from = times[0]!;
      let to = from;
      const emit = () =>
        statements.push(
          `SELECT ${select(group[0]!.measurement)} FROM ${this.from(group[0]!.measurement)} WHERE "agent" = '${quote(group[0]!.agent)}' AND time >= ${from} AND time <= ${to} GROUP BY *`,
        );
      for (const t of times.slice(1)) {
        if (t - to > CLUSTER_GAP_NS) {
          emit();
          from = t;
        }
        to = t;
      }
      emit();
    }
    const answer = await this.query(statements.join('; '));
    if (answer.error) throw new Error(`InfluxDB query failed: ${answer.error}`);
    const out = new Map<string, T>();
    for (const r of answer.results ?? []) {
      if (r.error) throw new Error(`InfluxDB query failed: ${r.error}`);
      for (const series of r.series ?? []) {
        const key = seriesKey(series.name, series.tags ?? {});
        for (const row of series.values) out.set(`${key} ${String(row[0])}`, pick(series.columns, row));
      }
    }
    return out;
  }
}

/**
 * A field every point of the measurement has, selected with content_hash: InfluxDB returns no
 * row for a point whose selected fields are all null, so a point stored without a hash would
 * look like no point at all, and be written over.
 */
const PRESENT: Record<string, string> = { sysbench: 'result_id', sysbench_interval: 'sample_id', agent_status: 'state' };

/** The agents' records the guard checks: append-only, written only through the batch writer. */
export const GUARDED_MEASUREMENTS: ReadonlySet<string> = new Set(Object.keys(PRESENT));

/** Never a content hash (those are base64url): a pre-hash point holding another record. */
const LEGACY_OTHER = '!other';

/** The record's id field and every field both have are equal (a point stored before content_hash). */
export function sameRecord(mine: Stamp['values'], stored: Record<string, unknown> | undefined): boolean {
  if (!mine || !stored) return false;
  const id = 'result_id' in mine ? 'result_id' : 'sample_id' in mine ? 'sample_id' : null;
  if (id && stored[id] !== mine[id]) return false;
  let shared = 0;
  for (const [name, value] of Object.entries(mine)) {
    const have = stored[name];
    if (have === null || have === undefined) continue;
    if (have !== value) return false;
    shared++;
  }
  return shared > 0;
}

function quote(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
