// Many guest runs of one group, test, profile and thread count computed together (issue 26):
// one read of the guests' rows, one of the baseline rows and one of the stored `overhead` points
// around them, the comparisons in memory, and one write of the points that changed. A tick of a
// hundred guests, or a baseline run that moves the runs of its whole group within the window,
// costs three queries instead of four per guest run, and a recompute that changes nothing writes
// nothing. All through the store (collector/store): the agent sets are tag sets, the baseline and
// stored reads one request (selectMany). Each run gets exactly what computing it alone reads (its trials within the window of
// its anchor, the baseline trials within the window of its start), so the points are the same
// (overhead.batch.influx.test.ts holds the two to it).
import { compareGuestRun, overheadFields, HISTORY_MS } from './compute.js';
import type { MarginSpec } from '../../lib/compare/margin.js';
import { MEASUREMENTS } from '../../schema/influx.js';
import { selectSysbench, sysbenchRows, sysbenchSelection, SYSBENCH_TAGS, type SysbenchRow } from './rows.js';
import type { Store, StorePoint, TagMatch } from '../store/store.js';
import { coveredBy, sameContent } from '../store/compare.js';
import { comparable, disturbedFields } from './disturbed.js';
import { runKey, sharedRange, type ReplacedAt } from './replaced-range.js';
import { groupBy } from '../../lib/group-by.js';
import { readAhead, valueOf } from '../../lib/read-ahead.js';

/** One guest run to compute: anchorNs is any of its trials' timestamps. */
export interface RunRef {
  agent: string;
  runId: string;
  anchorNs: bigint;
}

/** The runs of one group's test (profile, thread count) a batch may have changed. */
export interface SeriesWork {
  group: string;
  test: string;
  profile: string;
  threads: number | null;
  /** Guest runs named by the batch's results. */
  runs: RunRef[];
  /** Times of the batch's baseline results: every guest run within the window of one is recomputed. */
  baselineAnchors: bigint[];
}

export interface BatchContext {
  store: Store;
  windowNs: bigint;
  /** The user's equivalence margins (--margin). */
  margins?: MarginSpec;
  /** Leave trials their agent judged disturbed out of the comparisons (docs/noise.md); counted either way. */
  excludeDisturbed?: boolean;
  /** Replaced runs deleted one statement each, never over a shared range: the slow path the tests hold the range to. */
  oneDeletePerRun?: boolean;
}

/** Anchors further apart than this are read as separate time ranges (a catch-up batch may span months). */
const CLUSTER_GAP_NS = 2n * 86_400_000_000_000n;
/** And no range spans more than this, so one read stays a few days of a group. */
const CLUSTER_SPAN_NS = 7n * 86_400_000_000_000n;
/** Guests computed together: their trials are read in one query naming them (one chunk's rows in memory at once). */
export const AGENTS_PER_READ = 40;

const OVERHEAD_TAGS: readonly string[] = MEASUREMENTS.overhead.tags;

const minTime = (rows: readonly SysbenchRow[]) => rows.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), rows[0]!.timeNs);
const maxTime = (rows: readonly SysbenchRow[]) => rows.reduce((m, r) => (r.timeNs > m ? r.timeNs : m), rows[0]!.timeNs);

/** Sorted times cut where consecutive ones are far apart or a range grows too long. */
export function clusters(times: readonly bigint[], gap = CLUSTER_GAP_NS, span = CLUSTER_SPAN_NS): Array<[bigint, bigint]> {
  const sorted = [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const t of sorted) {
    const last = out[out.length - 1];
    if (last && t - last[1] <= gap && t - last[0] <= span) last[1] = t;
    else out.push([t, t]);
  }
  return out;
}

/** The agents named. */
function agentFilter(agents: ReadonlySet<string>): { agent: TagMatch } {
  return { agent: [...agents].sort() };
}

interface Computed {
  run: RunRef;
  startNs: bigint;
  trials: SysbenchRow[];
  /** The same agent's earlier trials of the variant within HISTORY_MS (its run-to-run spread). */
  history: SysbenchRow[];
}

/**
 * Computes every run of `work` and writes the `overhead` points that changed. Returns the points
 * written. Throws the first error after trying every time range.
 */
export async function computeSeriesWork(work: SeriesWork, ctx: BatchContext): Promise<number> {
  const { store, windowNs } = ctx;
  const base = { group: work.group, test: work.test, profile: work.profile };
  let written = 0;
  let firstError: Error | null = null;
  for (const [lo, hi] of clusters([...work.runs.map((r) => r.anchorNs), ...work.baselineAnchors])) {
    try {
      const runsHere = work.runs.filter((r) => r.anchorNs >= lo && r.anchorNs <= hi);
      const anchorsHere = work.baselineAnchors.filter((t) => t >= lo && t <= hi);
      // A baseline result concerns every guest of the group with a run near it; a guest's results
      // only its own runs. Computed AGENTS_PER_READ guests at a time (issue 26): a whole group's
      // weeks of trials read at once held a 100-guest group's ~20 000 rows, ten times that for
      // a group of 1 000, where a chunk of guests holds only its own.
      const named = runsHere.map((r) => r.agent);
      const near = anchorsHere.length
        ? await store.tagValues('sysbench', 'agent', { tags: { ...base, role: 'guest' }, from: lo - windowNs, to: hi + windowNs })
        : [];
      const agents = [...new Set([...named, ...near])].sort();
      const chunks: Array<Set<string>> = [];
      for (let i = 0; i < agents.length; i += AGENTS_PER_READ) chunks.push(new Set(agents.slice(i, i + AGENTS_PER_READ)));
      // The next chunk's trials are asked for once this chunk's arrived, so InfluxDB reads them
      // while the collector compares and writes this one (issue 26). Chunks name disjoint guests,
      // and this step writes no `sysbench`: the same rows as reading after it.
      for await (const { chunk, answer } of readAhead(chunks, (c) => readGuests(work, ctx, c, [lo, hi]))) {
        try {
          const runs = runsHere.filter((r) => chunk.has(r.agent));
          written += await computeAgents(work, ctx, chunk, runs, anchorsHere, [lo, hi], valueOf(answer));
        } catch (err) {
          firstError ??= err instanceof Error ? err : new Error(String(err));
        }
      }
    } catch (err) {
      firstError ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  if (firstError) throw firstError;
  return written;
}

/**
 * The trials of `agents` (a chunk of the group's guests) that computing their runs in one time
 * range of `work` needs. Two windows: a run found near a baseline result is read within the window
 * of its own trials, as alone; and each run's history before it (the guest's spread:
 * compute.ts historyBefore).
 */
function readGuests(work: SeriesWork, ctx: BatchContext, agents: ReadonlySet<string>, [lo, hi]: [bigint, bigint]): Promise<SysbenchRow[]> {
  const historyNs = BigInt(HISTORY_MS) * 1_000_000n;
  return selectSysbench(ctx.store, {
    tags: { group: work.group, test: work.test, profile: work.profile, role: 'guest', ...agentFilter(agents) },
    from: lo - 2n * ctx.windowNs - historyNs,
    to: hi + 2n * ctx.windowNs,
  });
}

/**
 * The runs of `agents` (a chunk of the group's guests) in one time range of `work`: those named
 * (`runs`) and those near a baseline result (`anchors`), from `read` (readGuests of the chunk);
 * then the baseline's trials and the stored points around the runs in one request. Returns
 * points written.
 */
async function computeAgents(
  work: SeriesWork,
  ctx: BatchContext,
  agents: ReadonlySet<string>,
  runs: readonly RunRef[],
  anchors: readonly bigint[],
  [lo, hi]: [bigint, bigint],
  read: readonly SysbenchRow[],
): Promise<number> {
  const { store, windowNs } = ctx;
  const historyNs = BigInt(HISTORY_MS) * 1_000_000n;
  const matches = (r: SysbenchRow) => r.ok && r.threads === work.threads;
  const base = { group: work.group, test: work.test, profile: work.profile };
  const guestRows = read.filter(matches);
  // Indexed once (issue 23 item 4): by agent and run, by agent and variant in time order, and
  // the whole read in time order. Filtering every row for every run made a batch cost
  // runs × rows, and under a flood each batch blocked the event loop for seconds.
  const index = indexRows(guestRows);

  // The runs: those named, then those near a baseline result (keyed as computing them alone would).
  const refs = new Map<string, RunRef>();
  for (const r of runs) if (!refs.has(`${r.agent}\0${r.runId}`)) refs.set(`${r.agent}\0${r.runId}`, r);
  for (const b of anchors) {
    const near = new Map<string, RunRef>();
    for (const row of within(index.byTime, b - windowNs, b + windowNs)) {
      const k = `${row.tags.agent}\0${row.runId}`;
      const prev = near.get(k);
      if (!prev || row.timeNs < prev.anchorNs) near.set(k, { agent: row.tags.agent!, runId: row.runId, anchorNs: row.timeNs });
    }
    for (const [k, r] of near) if (!refs.has(k)) refs.set(k, r);
  }
  const computed: Computed[] = [];
  for (const run of refs.values()) {
    const ofRun = index.byRun.get(`${run.agent}\0${run.runId}`) ?? [];
    const trials = ofRun.filter((r) => r.timeNs >= run.anchorNs - windowNs && r.timeNs <= run.anchorNs + windowNs);
    if (trials.length === 0) continue;
    const startNs = minTime(trials);
    const variant = trials.find((r) => r.timeNs === startNs)!.tags.variant ?? '';
    const ofVariant = index.byVariant.get(`${run.agent}\0${variant}`) ?? [];
    const history = within(ofVariant, startNs - historyNs, startNs - 1n);
    computed.push({ run, startNs, trials, history });
  }
  if (computed.length === 0) return 0;

  const firstStart = computed.reduce((m, c) => (c.startNs < m ? c.startNs : m), computed[0]!.startNs);
  const lastStart = computed.reduce((m, c) => (c.startNs > m ? c.startNs : m), computed[0]!.startNs);
  const lastTrial = computed.reduce((m, c) => (maxTime(c.trials) > m ? maxTime(c.trials) : m), lastStart);
  // The baseline's trials and the stored points around the runs: one request.
  const [baselineAnswer, stored] = await store.selectMany([
    sysbenchSelection({ tags: { ...base, role: 'baseline' }, from: firstStart - windowNs, to: lastStart + windowNs }),
    { measurement: 'overhead', where: { tags: { ...base, ...agentFilter(new Set(computed.map((c) => c.run.agent))) }, from: firstStart, to: lastTrial } },
  ]);
  const baselineRows = byTime(sysbenchRows(baselineAnswer!).filter(matches));
  const storedAt = groupBy(stored!, (row) => `${row.tags.agent ?? ''}\0${row.timeNs}`);

  const replaced: ReplacedAt[] = [];
  const results: Array<{ c: Computed; points: StorePoint[]; changed: StorePoint[] }> = [];
  for (const c of computed) {
    const baseline = within(baselineRows, c.startNs - windowNs, c.startNs + windowNs);
    const points = runPoints(c, baseline, work.threads, ctx);
    // A run whose trials arrived out of order was first stamped with a later trial's time: those points go.
    for (const t of new Set(c.trials.map((r) => r.timeNs).filter((t) => t !== c.startNs))) {
      const stale = (storedAt.get(`${c.run.agent}\0${t}`) ?? []).some(
        (row) => row.fields.run_id === c.run.runId && (row.fields.threads ?? null) === work.threads,
      );
      if (stale) replaced.push({ agent: c.run.agent, at: t });
    }
    const here = storedAt.get(`${c.run.agent}\0${c.startNs}`) ?? [];
    // Stored points holding fields (or a baseline agent) the new ones do not: replaced whole.
    const replace = !here.every((row) => coveredBy(row, points, OVERHEAD_TAGS));
    if (replace) replaced.push({ agent: c.run.agent, at: c.startNs });
    results.push({ c, points, changed: replace ? points : points.filter((p) => !here.some((row) => sameContent(row, p, OVERHEAD_TAGS))) });
  }
  const computedStarts = new Map(computed.map((c) => [runKey({ agent: c.run.agent, runId: c.run.runId, threads: work.threads }), c.startNs]));
  const trials = read.map((r) => ({ agent: r.tags.agent ?? '', runId: r.runId, threads: r.threads, timeNs: r.timeNs }));
  const range = ctx.oneDeletePerRun ? null : sharedRange(replaced, { stored: stored!, computedStarts, trials });
  const ranged = new Set(range ? replaced.map((r) => r.agent) : []);
  // Deleted over the range: every computed run there is written whole, changed or not.
  const inRange = ({ c }: { c: Computed }) => range !== null && ranged.has(c.run.agent) && c.startNs >= range[0] && c.startNs <= range[1];
  const toWrite = results.flatMap((r) => (inRange(r) ? r.points : r.changed));
  // All in one request (InfluxDB 1.x walks every shard for each DELETE statement; one request per
  // run was most of a baseline run's recompute: 44 of 55 requests, 4.2 of 7.4 s, issue 26), and
  // one statement when the range allows it (replaced-range.ts).
  if (range) await store.delete('overhead', { tags: { ...base, agent: [...ranged].sort() }, from: range[0], to: range[1] });
  else if (replaced.length > 0)
    await store.delete(
      'overhead',
      replaced.map((d) => ({ tags: { ...base, agent: d.agent }, from: d.at, to: d.at })),
    );
  for (let i = 0; i < toWrite.length; i += 5000) await store.write(toWrite.slice(i, i + 5000));
  return toWrite.length + (range ? await computeArrived(work, ctx, ranged, range, computedStarts, [lo, hi]) : 0);
}

/**
 * After a range delete: runs whose trials reached the range after this recompute read it (another
 * collector may have computed and written their points before the delete) are computed here, so
 * the delete loses nothing. One read; nothing more when nothing arrived. Returns points written.
 */
async function computeArrived(
  work: SeriesWork,
  ctx: BatchContext,
  agents: ReadonlySet<string>,
  [from, to]: [bigint, bigint],
  computed: ReadonlyMap<string, bigint>,
  cluster: [bigint, bigint],
): Promise<number> {
  const base = { group: work.group, test: work.test, profile: work.profile };
  const now = await selectSysbench(ctx.store, { tags: { ...base, role: 'guest', ...agentFilter(agents) }, from, to });
  const arrived = new Map<string, { threads: number | null; runs: Map<string, RunRef> }>();
  for (const r of now) {
    const agent = r.tags.agent ?? '';
    if (computed.has(runKey({ agent, runId: r.runId, threads: r.threads }))) continue;
    const byThreads = arrived.get(String(r.threads)) ?? arrived.set(String(r.threads), { threads: r.threads, runs: new Map() }).get(String(r.threads))!;
    const k = `${agent}\0${r.runId}`;
    const prev = byThreads.runs.get(k);
    if (!prev || r.timeNs < prev.anchorNs) byThreads.runs.set(k, { agent, runId: r.runId, anchorNs: r.timeNs });
  }
  let written = 0;
  for (const { threads, runs } of arrived.values()) {
    const refs = [...runs.values()];
    const again = { ...work, threads, runs: refs, baselineAnchors: [] };
    const agents = new Set(refs.map((r) => r.agent));
    written += await computeAgents(again, ctx, agents, refs, [], cluster, await readGuests(again, ctx, agents, cluster));
  }
  return written;
}

/** Rows in time order; equal times keep their order (Array.prototype.sort is stable). */
function byTime(rows: readonly SysbenchRow[]): SysbenchRow[] {
  return [...rows].sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
}

/** The first index of `sorted` (by time) at or after `ns`. */
function firstAtOrAfter(sorted: readonly SysbenchRow[], ns: bigint): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.timeNs < ns) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows of `sorted` (by time) with from <= time <= to, by binary search. */
export function within(sorted: readonly SysbenchRow[], from: bigint, to: bigint): SysbenchRow[] {
  return to < from ? [] : sorted.slice(firstAtOrAfter(sorted, from), firstAtOrAfter(sorted, to + 1n));
}

interface RowIndex {
  /** Every row, in time order. */
  byTime: SysbenchRow[];
  /** `agent\0runId` → that run's rows. */
  byRun: Map<string, SysbenchRow[]>;
  /** `agent\0variant` → those rows in time order (a run's history). */
  byVariant: Map<string, SysbenchRow[]>;
}

/** One pass over a batch's guest rows, so each run reads only its own and its history's rows. */
export function indexRows(rows: readonly SysbenchRow[]): RowIndex {
  const sorted = byTime(rows);
  return {
    byTime: sorted,
    byRun: groupBy(sorted, (r) => `${r.tags.agent}\0${r.runId}`),
    byVariant: groupBy(sorted, (r) => `${r.tags.agent}\0${r.tags.variant ?? ''}`),
  };
}

/** The `overhead` points of one guest run against the baseline rows within its window. */
function runPoints(c: Computed, baselineRows: readonly SysbenchRow[], threads: number | null, ctx: BatchContext): StorePoint[] {
  const first = c.trials.find((r) => r.timeNs === c.startNs)!;
  const tags: Record<string, string> = {};
  for (const t of SYSBENCH_TAGS) tags[t] = first.tags[t] ?? '';
  const exclude = ctx.excludeDisturbed === true;
  const trials = comparable(c.trials, exclude);
  // Every trial of the run disturbed and left out: no comparison (and the stored ones go).
  if (trials.length === 0) return [];
  return compareGuestRun(trials, comparable(c.history, exclude), comparable(baselineRows, exclude), { margins: ctx.margins }).map((m) => ({
    measurement: 'overhead',
    tags: { ...tags, metric: m.metric, baseline_agent: m.baselineAgent },
    fields: {
      ...overheadFields(m),
      ...disturbedFields(c.trials, baselineRows, m.baselineAgent, m.comparison.referenceRunIds, exclude),
      run_id: c.run.runId,
      baseline_run_id: m.baselineRunId,
      ...(threads !== null ? { threads } : {}),
    },
    timestamp: c.startNs.toString(),
  }));
}
