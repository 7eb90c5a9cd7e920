// Work owed after a write: overhead, nested-stack overhead and change points are computed for
// results after InfluxDB stored them, one batch at a time (those queued meanwhile together),
// never delaying an ack. A burst can leave more of that work than a stop timeout allows (20 000
// results took 391 s to drain, far past systemd's 30 s). So at stop the computation in progress gets a short grace, and the
// rest stays recorded in InfluxDB as `overhead_owed` markers (the time range of the results
// each covers, written with the results before their ack: owed-markers.ts), and the next
// collector to start computes it from the stored results, then deletes the markers. The
// computations overwrite their own points, so doing a range twice is harmless.
// The queue is bounded (issue 23 item 4): past `highWater` results it says 'pressure' and the
// server pauses every agent stream (acks slow down, agents keep spooling) until it is down to
// half ('relief'). A flood inside the rate limit grew it to 1.2 GB in 45 s before.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RawQuery } from './influx/http.js';
import type { WrittenResult } from './listener.js';
import { seriesKey } from './influx/line.js';
import { eq } from '../schema/influxql.js';
import { RUN_TAGS } from '../schema/influx.js';

/** Resolves false when a computation failed (InfluxDB refused a query): the batch is tried again. */
export type Compute = (results: WrittenResult[]) => Promise<boolean | void>;

/**
 * Results owed at once before the streams pause: about 1 KB each while queued (tags and
 * WRITTEN_FIELDS), so ~20 MB; a merged computation reads at most this many plus one batch.
 */
export const OWED_HIGH_WATER = 20_000;

export class OwedWork extends EventEmitter {
  /** Batches of results, and other writes that must keep their place among them (agent_info). */
  private readonly queue: Array<WrittenResult[] | (() => Promise<void>)> = [];
  private current: WrittenResult[] | (() => Promise<void>) | null = null;
  private idle: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Results queued or being computed (the bound's measure). */
  private owed = 0;
  private pressured = false;

  /**
   * A batch whose computation failed is tried again `times` more, `delayMs` apart, holding the
   * batches behind it (a blip of InfluxDB must not lose overhead); after that it counts as done.
   * Stopped meanwhile, it stays owed: its marker is left for the next start.
   */
  constructor(
    private readonly compute: Compute,
    private readonly retry = { times: 3, delayMs: 5000 },
    /** Results computed at once at most when batches queue up. */
    private readonly maxMerged = 500_000,
    /** Results owed at which 'pressure' is emitted ('relief' at half of it). */
    private readonly highWater = OWED_HIGH_WATER,
  ) {
    super();
  }

  /** Results queued or being computed. */
  queued(): number {
    return this.owed;
  }

  /** Called once a batch was computed (its overhead_owed marker may go). */
  private readonly onComputed = new WeakMap<WrittenResult[], () => void>();

  /** Results InfluxDB just stored; their computation runs after those queued before them. */
  add(results: WrittenResult[], computed?: () => void): void {
    if (results.length === 0) return computed?.();
    this.queue.push(results);
    this.owed += results.length;
    if (!this.pressured && this.owed >= this.highWater) {
      this.pressured = true;
      this.emit('pressure');
    }
    if (computed) this.onComputed.set(results, computed);
    if (!this.current && !this.stopped) this.idle = this.run();
  }

  /** A task run in order with the batches (dropped at stop: it is redone at the next hello). */
  enqueue(task: () => Promise<void>): void {
    this.queue.push(task);
    if (!this.current && !this.stopped) this.idle = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.queue.length) {
      const item = this.queue.shift()!;
      this.current = item;
      if (typeof item === 'function') await item();
      else {
        // Batches that queued up behind this one are computed with it: one analysis of each
        // guest however many batches touched it (a fleet's tick, a replayed spool, a catch-up).
        // The records between them (facts) run first, in their order, as they would have.
        const batches = [item];
        const merged = [...item];
        this.current = merged; // what stop() returns as owed, however far the merge got
        while (!this.stopped && this.queue.length && merged.length < this.maxMerged) {
          const next = this.queue.shift()!;
          if (typeof next === 'function') await next();
          else {
            batches.push(next);
            merged.push(...next);
          }
        }
        if (this.stopped || !(await this.computeWithRetries(merged))) return; // stopped: still owed (stop() returns it)
        for (const b of batches) this.onComputed.get(b)?.();
        this.owed -= merged.length;
        if (this.pressured && this.owed < this.highWater / 2) {
          this.pressured = false;
          this.emit('relief');
        }
      }
      this.current = null;
    }
  }

  /** True when computed, or given up after the retries; false when stopped before. */
  private async computeWithRetries(item: WrittenResult[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if ((await this.compute(item)) !== false || attempt >= this.retry.times) return true;
      await new Promise((r) => setTimeout(r, this.retry.delayMs).unref());
      if (this.stopped) return false;
    }
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Resolves when nothing is queued or running. */
  async drained(): Promise<void> {
    // Stopped: the loop ends after the batch running (or at once, if it was waiting to retry).
    if (this.stopped) return this.idle;
    while (this.current || this.queue.length) await this.idle;
  }

  /** Stops taking new batches; waits up to graceMs for the one running; returns what is left. */
  async stop(graceMs: number): Promise<WrittenResult[]> {
    this.stopped = true;
    await Promise.race([this.idle, new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
    const results = (items: Array<WrittenResult[] | (() => Promise<void>)>) => items.filter((x): x is WrittenResult[] => Array.isArray(x)).flat();
    // Still set: running past the grace, or given up on when the stop came between retries.
    return results([...(this.current ? [this.current] : []), ...this.queue.splice(0)]);
  }
}

/** The marker line for one agent's results whose overhead is owed: their time range (ns as strings: exact). */
export function owedMarkerLine(timestamps: string[], nowNs: bigint, collector?: string, agent?: string): string {
  let from = BigInt(timestamps[0]!);
  let to = from;
  for (const ts of timestamps) {
    const t = BigInt(ts);
    if (t < from) from = t;
    if (t > to) to = t;
  }
  // Tag values escaped as line protocol wants (an agent id may hold ',', ' ' or '=').
  const key = seriesKey('overhead_owed', { ...(agent ? { agent } : {}), ...(collector ? { collector } : {}) });
  return `${key} from_ns="${from}",to_ns="${to}",results=${timestamps.length} ${nowNs}`;
}

/**
 * At start: computes every owed range from the stored results (a page at a time, through `work`),
 * then deletes its marker. Runs in the background; a failure leaves the marker for the next start.
 * Markers come from a stop with work left, or from a collector that died (owed-markers.ts). A page
 * is read only once the one before it was computed, so memory stays one page whatever the range
 * (one query for a whole range read 136 503 results, 410 MB, at once).
 */
export async function catchUp(query: RawQuery, work: OwedWork, log: Logger, chunk = 1000, self = ''): Promise<number> {
  // Not this collector's own markers: its live batches are computed by its own queue.
  const markers = await query(`SELECT "from_ns", "to_ns", "results", "agent" FROM "overhead_owed"${self ? ` WHERE "collector" != '${self}'` : ''}`);
  const rows = markers.results?.[0]?.series?.[0]?.values ?? [];
  let total = 0;
  for (const [time, from, to, , agent] of rows as Array<[string, string, string, number, string | null]>) {
    // A marker before issue 23 has no agent: it covers every agent of its range.
    const where = agent ? ` AND ${eq('agent', agent)}` : '';
    let n = 0;
    for await (const page of pages(query, BigInt(from), BigInt(to), where, chunk)) {
      work.add(page);
      n += page.length;
      await work.drained();
      if (work.isStopped) return total; // the collector is stopping: the marker stays for the next one
    }
    await query(`DELETE FROM "overhead_owed" WHERE time = ${time}${agent ? ` AND ${eq('agent', agent)}` : ''}`);
    total += n;
    log.info({ from, to, agent: agent ?? undefined, results: n }, 'computed the overhead owed by an earlier collector');
  }
  return total;
}

/** The stored results of a range, oldest first, `size` at a time (never one with clock_skew_s: those are not computed). */
async function* pages(query: RawQuery, from: bigint, to: bigint, where: string, size: number): AsyncGenerator<WrittenResult[]> {
  let cursor = from;
  /** Results at the cursor's time already handed out (the next page starts at that time again). */
  let atCursor = new Set<string>();
  let limit = size;
  for (;;) {
    const answer = await query(`SELECT * FROM "sysbench" WHERE time >= ${cursor} AND time <= ${to}${where} ORDER BY time ASC LIMIT ${limit}`);
    const series = answer.results?.[0]?.series?.[0];
    const values = series?.values ?? [];
    const page: WrittenResult[] = [];
    for (const row of values) {
      const tags: Record<string, string> = {};
      const fields: Record<string, number | string | boolean> = {};
      series!.columns.forEach((c, i) => {
        const v = row[i];
        if (i === 0 || v === null || v === undefined) return;
        if (TAG_NAMES.has(c)) tags[c] = String(v);
        else fields[c] = v as number | string | boolean;
      });
      page.push({ tags, fields, timestamp_ns: String(row[0]) });
    }
    const last = page.length ? BigInt(page[page.length - 1]!.timestamp_ns) : cursor;
    const key = (r: WrittenResult) => `${r.timestamp_ns}\0${String(r.fields.result_id)}`;
    const fresh = page.filter((r) => !atCursor.has(key(r)));
    const computable = fresh.filter((r) => r.fields.clock_skew_s === undefined);
    if (computable.length) yield computable;
    if (values.length < limit) return;
    // A full page: go on from its last time (more may share it), skipping what was handed out
    // at that time; a page all at one time already handed out: read more at once.
    if (last !== cursor) {
      atCursor = new Set(page.filter((r) => BigInt(r.timestamp_ns) === last).map(key));
      limit = size;
    } else {
      for (const r of fresh) atCursor.add(key(r));
      if (fresh.length === 0) limit *= 2;
    }
    cursor = last;
  }
}

const TAG_NAMES = new Set<string>(RUN_TAGS);
