// Facts stored when they change (issue 23 item 2). Earlier versions wrote an agent_info point at
// every hello and every run, a copy of the same facts each time: a year of them per agent, read
// back whole by the change detector. Now an observation (a hello's facts, or a run's sysbench
// version on top of the facts in force) is compared with the agent's newest stored facts and
// written only when a fact or an identity tag differs (a new variant is a new series the
// inventory filters on). The newest facts of each agent are kept here, bounded in bytes; an
// agent not kept (a restart, or pushed out) costs one read, for all such agents of a group.
import type { IPoint } from 'influx';
import { FORGET_AFTER_MS, IdleMap } from '../../lib/idle-map.js';
import { IDENTITY_TAGS, type IdentityTags } from '../../schema/influx.js';
import type { Row, Store, StorePoint } from '../store/store.js';
import type { Facts } from './changed.js';
import { agentInfoPoint, FACT_FIELDS, factsWindowSelections, storedFacts, type FactsAtTime } from './index.js';
import { groupBy } from '../../lib/group-by.js';

/** What one hello or run says about its agent. */
export interface Observation {
  tags: IdentityTags;
  timeNs: bigint;
  /** A hello's facts replace the agent's; a run's sysbench version is put over the facts in force. */
  facts: { hello: Facts } | { sysbenchVersion: string };
  /** The run, for a run's observation (stored as `run_id` on the point it causes). */
  runId?: string;
}

interface Known extends FactsAtTime {
  tags: Readonly<Record<string, string>>;
}

/** An agent's stored facts from `from` on (none stored between `from` and the first of them), oldest first. */
interface Timeline {
  from: bigint;
  points: Known[];
}

/** Bounds of the timelines kept: agents (and forgetAfterMs unused), and facts points of one agent (an agent whose facts flap is read each time). */
const MAX_TIMELINES = 10_000;
const MAX_TIMELINE_POINTS = 1_000;

/** Default bound of the facts kept: ~1 KB an agent with ordinary facts, 24 KB at the bounds' largest. */
export const DEFAULT_FACTS_CACHE_BYTES = 16 * 1024 * 1024;

const agentKey = (t: { group: string; agent: string }) => JSON.stringify([t.group, t.agent]);

/** Rough bytes of a kept entry (UTF-16 strings, plus the objects around them). */
function sizeOf(k: Known): number {
  let n = 200;
  for (const [a, b] of Object.entries(k.facts)) n += 2 * (a.length + b.length) + 40;
  for (const [a, b] of Object.entries(k.tags)) n += 2 * (a.length + b.length) + 40;
  return n;
}

function sameFacts(a: Facts, b: Facts): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Identity tags equal, a missing tag equal to '' (InfluxDB stores no empty tag). */
const sameTags = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => IDENTITY_TAGS.every((t) => (a[t] ?? '') === (b[t] ?? ''));

/** A point's facts as they read back from InfluxDB (numbers through a float). */
const asStored = (p: IPoint): Facts => storedFacts(p.fields ?? {});

/** Bytes counted for a kept entry (null: the agent is known to have no facts stored). */
const costOf = (v: Known | null) => (v ? sizeOf(v) : 100);

const groupOf = (key: string) => (JSON.parse(key) as [string, string])[0];

export class FactsRecorder {
  /**
   * group+agent → newest stored facts (null: none stored), in least-recently-used order, bounded in
   * bytes; an agent not heard from for the forget time is forgotten (issue 26: a guest that
   * reported once and went away), and its group is read again if it comes back.
   */
  private readonly known: IdleMap<string, Known | null>;
  private bytes = 0;
  /** Groups read whole since the last entry was pushed out: an agent of one not kept has no facts stored. */
  private readonly groupsRead = new Set<string>();
  /** Rows read from the store since start (a test counts them). */
  rowsRead = 0;
  /**
   * Per agent: its stored facts from `from` on, complete when read, oldest first; kept in step
   * with what this recorder writes. A replayed spool's runs are older than the agent's hello, so
   * each needs the facts in force at its own time: one read per run was as many queries as
   * the collector's writes in the ingest bench (issue 26); now the first replayed run reads the
   * agent's facts from its time on, and the later ones use them. Dropped at the agent's hello
   * (it may have written facts through another collector meanwhile), as history.ts does.
   */
  private readonly timelines: IdleMap<string, Timeline>;

  /** `forget`: an agent's facts and timeline not used for `afterMs` are forgotten (its agent went away; `now`: the clock). */
  constructor(
    private readonly store: Store,
    private readonly maxBytes = DEFAULT_FACTS_CACHE_BYTES,
    forget: { afterMs: number; now?: () => number } = { afterMs: FORGET_AFTER_MS },
  ) {
    this.timelines = new IdleMap({ idleMs: forget.afterMs, max: MAX_TIMELINES, now: forget.now });
    // Bounded in bytes by keep(), not in count.
    this.known = new IdleMap({
      idleMs: forget.afterMs,
      max: Infinity,
      now: forget.now,
      onForget: (k, v) => {
        this.bytes -= costOf(v);
        this.groupsRead.delete(groupOf(k));
      },
    });
  }

  /** Agents whose timeline is kept now (a test checks what is forgotten). */
  get timelinesKept(): number {
    return this.timelines.size;
  }

  /** Entries kept now (a test checks the bound). */
  get size(): { agents: number; bytes: number } {
    return { agents: this.known.size, bytes: this.bytes };
  }

  /** Records the observations (any agents, any order); returns the points written: one per change. */
  async record(observations: readonly Observation[]): Promise<IPoint[]> {
    const byAgent = new Map<string, Observation[]>();
    for (const o of observations) {
      const k = agentKey(o.tags);
      if ('hello' in o.facts) this.timelines.delete(k);
      const list = byAgent.get(k);
      if (list) list.push(o);
      else byAgent.set(k, [o]);
    }
    const start = await this.newestOf([...byAgent.values()].map((os) => os[0]!.tags));
    const lines = await this.timelinesFor(byAgent, start);
    const points: IPoint[] = [];
    const ends = new Map<string, Known | null>();
    for (const [k, os] of byAgent) {
      os.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
      let newest = start.get(k) ?? null;
      const written: Known[] = [];
      for (const o of os) {
        const inOrder = newest === null || o.timeNs >= newest.timeNs;
        const previous = inOrder ? newest : await this.inForceAt(o.tags, o.timeNs, written, lines.get(k));
        const facts =
          'hello' in o.facts
            ? o.facts.hello
            : { ...(previous?.facts ?? {}), ...(o.facts.sysbenchVersion ? { sysbench_version: o.facts.sysbenchVersion } : {}) };
        if (Object.keys(facts).length === 0) continue; // nothing known to record (a point needs a field)
        const point = agentInfoPoint(o.tags, facts, previous?.facts ?? null, o.timeNs);
        const stored = asStored(point);
        if (previous && sameFacts(previous.facts, stored) && sameTags(previous.tags, o.tags)) continue;
        if (o.runId !== undefined) point.fields = { ...point.fields, run_id: o.runId };
        points.push(point);
        const entry: Known = { timeNs: o.timeNs, facts: stored, tags: { ...o.tags } };
        written.push(entry);
        if (inOrder) newest = entry;
      }
      ends.set(k, newest);
    }
    if (points.length > 0)
      await this.store.write(points.map(toStorePoint)).catch((err: unknown) => {
        // Not stored: forget these agents, so their next observation reads what is.
        for (const k of ends.keys()) this.forget(k);
        throw err;
      });
    for (const [k, v] of ends) this.keep(k, v);
    for (const p of points) this.onTimeline(p);
    return points;
  }

  /** A point this recorder stored goes into its agent's timeline, in time order. */
  private onTimeline(p: IPoint): void {
    const tags = (p.tags ?? {}) as IdentityTags;
    const line = this.timelines.get(agentKey(tags));
    const timeNs = BigInt(String(p.timestamp));
    if (!line || timeNs < line.from) return;
    const entry: Known = { timeNs, facts: asStored(p), tags: { ...tags } };
    let i = line.points.length;
    while (i > 0 && line.points[i - 1]!.timeNs > timeNs) i--;
    const same = i > 0 && line.points[i - 1]!.timeNs === timeNs && sameTags(line.points[i - 1]!.tags, tags);
    line.points.splice(same ? i - 1 : i, same ? 1 : 0, entry); // a point at a stored one's series and time replaces it
  }

  /** Each agent's newest stored facts: those kept, the others read, with one read per group. */
  private async newestOf(agents: readonly IdentityTags[]): Promise<Map<string, Known | null>> {
    const out = new Map<string, Known | null>();
    const missing = new Map<string, Set<string>>();
    for (const t of agents) {
      const k = agentKey(t);
      const kept = this.known.get(k);
      if (kept !== undefined) out.set(k, kept);
      else if (this.groupsRead.has(t.group)) out.set(k, null);
      else missing.set(t.group, (missing.get(t.group) ?? new Set()).add(t.agent));
    }
    for (const [group, names] of missing) {
      const rows = await this.store.select({
        measurement: 'agent_info',
        where: { tags: { group } },
        fields: FACT_FIELDS,
        newest: 1,
        groupBy: ['agent'],
      });
      this.rowsRead += rows.length;
      for (const name of names) out.set(agentKey({ group, agent: name }), null);
      // Every agent of the group is kept (as far as the bound allows): the group's other agents
      // come in the next batches, and a restarted collector reads each group once, not per agent.
      for (const r of rows) {
        const k = agentKey({ group, agent: r.tags.agent ?? '' });
        const v: Known = { timeNs: r.timeNs, facts: storedFacts(r.fields), tags: r.tags };
        if (names.has(r.tags.agent ?? '')) out.set(k, v);
        else this.keep(k, v);
      }
      this.groupsRead.add(group);
    }
    return out;
  }

  /**
   * The timelines these observations will need, read together (issue 26: in timer mode every run
   * is older than the hello before it, and the ingest bench's N = 1 000 read one agent at a time):
   * an agent's observations older than its newest facts, from its oldest one on. Read before any
   * observation is recorded, as each agent's own first read was (nothing is written until all are).
   */
  private async timelinesFor(byAgent: ReadonlyMap<string, Observation[]>, start: ReadonlyMap<string, Known | null>): Promise<Map<string, Timeline>> {
    const wanted: Array<{ k: string; tags: IdentityTags; timeNs: bigint }> = [];
    for (const [k, os] of byAgent) {
      const newest = start.get(k);
      if (!newest) continue; // nothing stored: every observation is in order
      let oldest: Observation | undefined;
      for (const o of os) if (o.timeNs < newest.timeNs && (!oldest || o.timeNs < oldest.timeNs)) oldest = o;
      if (oldest && !this.covers(k, oldest.timeNs)) wanted.push({ k, tags: oldest.tags, timeNs: oldest.timeNs });
    }
    const out = new Map<string, Timeline>();
    if (wanted.length === 0) return out;
    // A group's agents in two statements (up to AGENTS_PER_READ of them), from the oldest of their
    // times: an agent's timeline from an earlier time holds every point from its own time on. At
    // N = 1 000 a statement pair per agent was 2 000 statements in the ingest bench's send phase.
    const reads: Array<{ group: string; from: bigint; agents: Array<{ k: string; agent: string }> }> = [];
    for (const [group, ws] of groupBy(wanted, (w) => w.tags.group))
      for (let i = 0; i < ws.length; i += AGENTS_PER_READ) {
        const chunk = ws.slice(i, i + AGENTS_PER_READ);
        const from = chunk.reduce((t, w) => (w.timeNs < t ? w.timeNs : t), chunk[0]!.timeNs);
        reads.push({ group, from, agents: chunk.map((w) => ({ k: w.k, agent: w.tags.agent })) });
      }
    // factsWindowSelections' pair: each agent's newest at or before `from`, and those after it.
    const answers = await this.store.selectMany(
      reads.flatMap((r) =>
        factsWindowSelections(
          r.group,
          r.agents.map((a) => a.agent),
          r.from,
        ),
      ),
    );
    reads.forEach((r, i) => {
      const before = groupBy(answers[2 * i]!, (row) => row.tags.agent ?? '');
      const after = groupBy(answers[2 * i + 1]!, (row) => row.tags.agent ?? '');
      for (const { k, agent } of r.agents) out.set(k, this.keepTimeline(k, before.get(agent) ?? [], after.get(agent) ?? []));
    });
    return out;
  }

  /** The agent's kept timeline holds every facts point from the one in force at `timeNs` on. */
  private covers(k: string, timeNs: bigint): boolean {
    const kept = this.timelines.peek(k);
    return kept !== undefined && kept.from <= timeNs;
  }

  /** The facts in force at `timeNs` for an observation older than the newest (a replayed run). */
  private async inForceAt(tags: IdentityTags, timeNs: bigint, written: readonly Known[], read?: Timeline): Promise<Known | null> {
    // Read for this record (timelinesFor) from the agent's oldest observation on: it covers this one.
    const line = read ?? (await this.timeline(tags, timeNs));
    let best: Known | null = null;
    for (const p of line.points) if (p.timeNs <= timeNs) best = p;
    for (const w of written) if (w.timeNs <= timeNs && (!best || w.timeNs >= best.timeNs)) best = w;
    return best;
  }

  /** The agent's facts from the one in force at `timeNs` on: kept, or read (one request). */
  private async timeline(tags: IdentityTags, timeNs: bigint): Promise<Timeline> {
    const k = agentKey(tags);
    const kept = this.timelines.get(k);
    if (kept && kept.from <= timeNs) return kept;
    const [before, after] = await this.store.selectMany(factsWindowSelections(tags.group, tags.agent, timeNs));
    return this.keepTimeline(k, before!, after!);
  }

  /** What factsWindowSelections answered for one agent, as its timeline (kept unless it is too long). */
  private keepTimeline(k: string, before: readonly Row[], after: readonly Row[]): Timeline {
    this.rowsRead += before.length + after.length;
    const points = [...before, ...after].map((r): Known => ({ timeNs: r.timeNs, facts: storedFacts(r.fields), tags: r.tags }));
    // Nothing stored at or before timeNs: complete from the beginning.
    const line: Timeline = { from: before[0]?.timeNs ?? -(2n ** 63n), points };
    this.timelines.delete(k);
    if (points.length <= MAX_TIMELINE_POINTS) this.timelines.set(k, line);
    return line;
  }

  private remove(k: string): void {
    const old = this.known.take(k);
    if (old !== undefined) this.bytes -= costOf(old);
  }

  /** No longer known: read again when it comes (its group too, as its entry may have been the only one). */
  private forget(k: string): void {
    this.remove(k);
    this.timelines.delete(k);
    this.groupsRead.clear();
  }

  /** Keeps the agent's newest facts as most recently used, pushing out the least used over the bound. */
  private keep(k: string, v: Known | null): void {
    this.remove(k);
    this.known.set(k, v);
    this.bytes += costOf(v);
    while (this.bytes > this.maxBytes && this.known.size > 1) this.forget(this.known.oldest()!);
  }
}

/** Agents whose timelines one pair of statements reads (their tag values ORed). */
const AGENTS_PER_READ = 200;

function toStorePoint(p: IPoint): StorePoint {
  return {
    measurement: 'agent_info',
    tags: Object.fromEntries(Object.entries(p.tags ?? {}).filter(([, v]) => v !== '')),
    fields: p.fields as StorePoint['fields'],
    timestamp: String(p.timestamp),
  };
}
