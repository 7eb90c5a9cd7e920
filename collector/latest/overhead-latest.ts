// `overhead_latest` (docs/schema.md): the newest `overhead` point of each series, kept as one
// point per series at a fixed time, so "current" views (the Overview's Current overhead, the
// report's guests) read ~1 point per guest × test × metric instead of last() over a range whose
// cost grows with guests × days (issue 26). It is derived, never computed on its own: each
// update reads the newest stored `overhead` point of the series concerned and copies it, so it
// agrees with `overhead` whatever order runs, recomputations and restarts came in.
import { MEASUREMENTS } from '../../schema/influx.js';
import type { WriteListener, WrittenResult } from '../listener.js';
import type { FieldValue, Row, Store, StorePoint, Where } from '../store/store.js';

/** Every latest point's time: a key, not a time (2200-01-01: beyond what any retention policy drops). */
export const LATEST_TIME_NS = 7_258_118_400_000_000_000n;

/** The tags that make an `overhead` series, and so one latest point. */
export const LATEST_SERIES_TAGS: readonly string[] = MEASUREMENTS.overhead_latest.tags;

const seriesKey = (tags: Readonly<Record<string, string>>) => JSON.stringify(LATEST_SERIES_TAGS.map((t) => tags[t] ?? ''));

/** The latest point copying an `overhead` row: its tags, its fields and its time as `run_ms`. */
export function latestPoint(row: Row): StorePoint {
  return {
    measurement: 'overhead_latest',
    tags: row.tags,
    fields: { ...row.fields, run_ms: Number(row.timeNs / 1_000_000n) },
    timestamp: LATEST_TIME_NS.toString(),
  };
}

function sameFields(a: Readonly<Record<string, FieldValue>>, b: Readonly<Record<string, FieldValue>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The store's match for exactly one series: every series tag, '' for one it lacks (else a series with more tags would match too). */
function exactly(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(LATEST_SERIES_TAGS.map((t) => [t, tags[t] ?? '']));
}

/**
 * Wheres refreshed together (their reads in one request, then one delete and one write): one. A
 * where can be a whole group × test × profile (1 000 series at 100 guests), and ten at once held
 * ten groups' newest points in memory at once: in the 1 000-guest fleet bench (3 runs loaded, load
 * 7–12) the collector's peak RSS was 319 MB against 229 MB before, under the unit's 256 MB heap cap.
 */
export const LATEST_WHERES_PER_READ = 1;

/**
 * Brings the latest points of the series `where` selects (or any of several wheres) up to date
 * with `overhead`: each series with a point at or after its where's `from` gets a copy of its
 * newest one. Returns points written.
 * A stored latest point holding a field the new one lacks (an interval that became unmeasurable,
 * `more_runs` once enough runs are in) is deleted first: a write merges fields into a point, it
 * does not remove any. All such points go in one DELETE request, whatever the group's size
 * (InfluxDB 1.x walks every shard for each DELETE statement: one per series took most of a
 * 100-guest batch's time, issue 26); a reader between the delete and the write sees those
 * series without a latest point for that moment, never a merged one. Several wheres (a batch's
 * tests and groups) are refreshed LATEST_WHERES_PER_READ at a time.
 */
export async function refreshLatest(store: Store, where: Where | readonly Where[] = {}): Promise<number> {
  const wheres: readonly Where[] = Array.isArray(where) ? where : [where as Where];
  let written = 0;
  for (let i = 0; i < wheres.length; i += LATEST_WHERES_PER_READ) written += await refreshSome(store, wheres.slice(i, i + LATEST_WHERES_PER_READ));
  return written;
}

/**
 * The field every `overhead` point has (overhead/batch.ts writes `run_id` with each, as every
 * version did; a write adds fields to a point, a DELETE takes all of them): a series' newest
 * point is found from it alone. Reading every field of every series' newest point over the
 * window (`SELECT *` with ORDER BY time DESC LIMIT 1) cost InfluxDB about ten times reading one
 * field (1.2–2.4 s against 0.1–0.5 s for a 100-guest group at load 12), and the points at their
 * exact times a third of it (issue 26).
 */
export const OVERHEAD_POINT_FIELD = 'run_id';

/** Statements of exact-time reads in one request at most. */
const EXACT_READS_PER_REQUEST = 500;

async function refreshSome(store: Store, wheres: readonly Where[]): Promise<number> {
  if (wheres.length === 0) return 0;
  // Each series' newest time (one field) and the stored latest points, one request.
  const answers = await store.selectMany(
    wheres.flatMap((where) => [
      { measurement: 'overhead' as const, where, fields: [OVERHEAD_POINT_FIELD], newest: 1, groupBy: LATEST_SERIES_TAGS },
      { measurement: 'overhead_latest' as const, where: { ...(where.tags ? { tags: where.tags } : {}) } },
    ]),
  );
  // Wheres may overlap: a series two of them select has the same newest point in both answers.
  const newestAt = new Map<string, Row>();
  const storedBy = new Map<string, Row>();
  answers.forEach((rows, i) => {
    for (const r of rows) (i % 2 === 0 ? newestAt : storedBy).set(seriesKey(r.tags), r);
  });
  const newestBy = await pointsAt(store, newestAt);
  const writes: StorePoint[] = [];
  const deletes: Where[] = [];
  for (const [k, row] of newestBy) {
    const point = latestPoint(row);
    const have = storedBy.get(k);
    if (have && sameFields(have.fields, point.fields)) continue;
    if (have && Object.keys(have.fields).some((f) => !(f in point.fields)))
      deletes.push({ tags: exactly(have.tags), from: LATEST_TIME_NS, to: LATEST_TIME_NS });
    writes.push(point);
  }
  if (deletes.length > 0) await store.delete('overhead_latest', deletes);
  for (let i = 0; i < writes.length; i += 5000) await store.write(writes.slice(i, i + 5000));
  return writes.length;
}

/**
 * Every field of each series' newest point, read at its exact time: one statement per time
 * (and group, test, profile) naming the agents whose series have their newest point then. A
 * statement may answer an older point of another series of those agents: only each series' own
 * time is kept. A series whose point went between the two reads (another collector's recompute)
 * is left out: it keeps its latest point until its next refresh, as when that collector's write
 * had come after this refresh.
 */
async function pointsAt(store: Store, newestAt: ReadonlyMap<string, Row>): Promise<Map<string, Row>> {
  const reads = new Map<string, { tags: Record<string, string>; at: bigint; agents: Set<string> }>();
  for (const { timeNs: at, tags } of newestAt.values()) {
    const { group = '', test = '', profile = '', agent = '' } = tags;
    const rk = JSON.stringify([at.toString(), group, test, profile]);
    const read = reads.get(rk) ?? reads.set(rk, { tags: { group, test, profile }, at, agents: new Set() }).get(rk)!;
    read.agents.add(agent);
  }
  const selections = [...reads.values()].map(({ tags, at, agents }) => ({
    measurement: 'overhead' as const,
    where: { tags: { ...tags, agent: [...agents].sort() }, from: at, to: at },
  }));
  const out = new Map<string, Row>();
  for (let i = 0; i < selections.length; i += EXACT_READS_PER_REQUEST)
    for (const rows of await store.selectMany(selections.slice(i, i + EXACT_READS_PER_REQUEST)))
      for (const r of rows) {
        const k = seriesKey(r.tags);
        if (newestAt.get(k)?.timeNs === r.timeNs) out.set(k, r);
      }
  return out;
}

/**
 * Agents whose series one page of the start-time check reads (issue 26): all `overhead` series
 * at once was ~10 series a guest and test, ~50 000 rows at 1 000 guests × 5 tests, read and
 * compared in one answer. An agent's series are bounded (its tag budget, server/budget.ts), so a
 * page is too, whatever the fleet's size: 50 guests × 5 tests × ~10 series is ~2 500 rows.
 */
export const LATEST_AGENTS_PER_PAGE = 50;

/**
 * refreshLatest over every series, a page of agents at a time (the collector's start): the same
 * points as one refresh of everything, in bounded memory. Returns points written.
 */
export async function refreshAllLatest(store: Store, agentsPerPage = LATEST_AGENTS_PER_PAGE): Promise<number> {
  const agents = await store.tagValues('overhead', 'agent');
  let written = 0;
  for (let i = 0; i < agents.length; i += agentsPerPage) written += await refreshLatest(store, { tags: { agent: agents.slice(i, i + agentsPerPage) } });
  return written;
}

/**
 * The listener after the overhead computation: per group, test and profile of a batch, the
 * series with a point from two windows before the batch's earliest result on (a baseline result
 * recomputes the guest runs within a window of it; a run starts within a window of its trials).
 * Where the batch holds only guests' results for a group, test and profile, only those guests'
 * series: the overhead step computes a guest result's own runs alone (overhead/batch.ts), so no
 * other series of the group changed (a 1 000-guest tick refreshed a whole group per batch, issue
 * 26). Any other result (a baseline's, one without a role) refreshes the whole group as before.
 * A batch's keys go to one refreshLatest call, which takes them LATEST_WHERES_PER_READ (one) at a time.
 */
export function createLatestKeeper(o: { store: Store; windowMs: number }): WriteListener {
  const spanNs = 2n * BigInt(Math.round(o.windowMs)) * 1_000_000n;
  return {
    name: 'latest overhead',
    owed: true,
    async onResultsWritten(results: readonly WrittenResult[]) {
      await refreshLatest(o.store, latestWheres(results, spanNs));
    },
  };
}

/** What createLatestKeeper refreshes after `results`: a where per group, test and profile (see there). */
export function latestWheres(results: readonly WrittenResult[], spanNs: bigint): Where[] {
  const earliest = new Map<string, { tags: Record<string, string>; fromNs: bigint; guests: Set<string> | null }>();
  for (const r of results) {
    const { group, test, profile, role, agent } = r.tags;
    if (!group || !test || profile === undefined) continue;
    const k = JSON.stringify([group, test, profile]);
    const t = BigInt(r.timestamp_ns) - spanNs;
    const guest = role === 'guest' && agent ? agent : null;
    const e = earliest.get(k);
    if (!e) earliest.set(k, { tags: { group, test, profile }, fromNs: t, guests: guest === null ? null : new Set([guest]) });
    else {
      if (t < e.fromNs) e.fromNs = t;
      if (guest === null) e.guests = null;
      else e.guests?.add(guest);
    }
  }
  return [...earliest.values()].map(({ tags, fromNs, guests }) => ({ tags: guests ? { ...tags, agent: [...guests].sort() } : tags, from: fromNs }));
}
