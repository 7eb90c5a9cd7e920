// Batches points from every agent stream into InfluxDB writes. A point's callback fires only
// after InfluxDB accepted the request holding it — the collector acks on that, never before.
// InfluxDB down (no answer, 5xx, 401/403/404): the batch is kept and retried with backoff,
// nothing is acked, and once the queue is long the server pauses its streams (backpressure
// into the agents' spools). A 400/413 (points InfluxDB can never store, or over one of its
// limits) is isolated without touching the other agents: each agent's points are written on
// their own, and an agent's refused request is split in halves until the refused points are
// found (issue 23 item 5). A point refused for good is rejected; one over a limit is set aside
// and retried on its own timer, so the queue and every other agent keep going.
// Up to `concurrency` requests are in flight, so encoding the next batch overlaps InfluxDB
// storing the last one.
import { EventEmitter } from 'node:events';
import type { IPoint } from 'influx';
import type { Logger } from 'pino';
import type { EncodedPoint } from './points.js';
import { HistoryConflictError, type HistoryGuard, type Stamp } from './history.js';
import { InfluxWriteError, type Post } from './http.js';
import { groupBy } from '../../lib/group-by.js';

export interface WriterOptions {
  batchSize?: number;
  flushMs?: number;
  /** Write requests in flight at once (default 2). */
  concurrency?: number;
  /** Queue length at which 'pressure' is emitted (and 'relief' at half of it). */
  highWater?: number;
  log: Logger;
  /** Append-only check of results and samples before they are written (see history.ts). */
  guard?: HistoryGuard;
  /** Called when InfluxDB says the database does not exist (before the retry). */
  onDatabaseMissing?: () => Promise<void>;
  /**
   * A marker line written in the same request as a batch's `sysbench` results (or alone just
   * before them), so that no result is acked before the marker is stored (overhead owed).
   */
  marker?: (timestampsByAgent: Map<string, string[]>) => OwedMarker;
  /**
   * Called after a batch was accepted, with the `sysbench` results in it (also those already
   * stored, acked without writing) and the marker written for them.
   */
  onWritten?: (results: IPoint[], marker?: OwedMarker) => void;
  /** The retention policy a measurement is written to (schema/retention.ts policyOf; default: the database's default). */
  policyOf?: (measurement: string) => string | undefined;
  /** First delay before points set aside for one of InfluxDB's limits are tried again (doubling to 60 s; default 1 s). */
  asideRetryMs?: number;
}

export interface OwedMarker {
  /** One line per agent whose results it covers (written together). */
  line: string;
  /** Its results were computed, or it was never written: the marker may be deleted. */
  settle(): void;
}

/** err undefined: stored. A PermanentWriteError: InfluxDB refused it for good. Other: not stored (shutdown). */
export type Done = (err?: Error) => void;

interface Pending extends EncodedPoint {
  done: Done;
  /** Passed the history check already (a retried write is not checked again). */
  admitted?: boolean;
}

export class PermanentWriteError extends Error {
  override name = 'PermanentWriteError';
}

/**
 * Only a 400 (a point InfluxDB can never store: type conflict, bad value) or 413 (too big) is
 * the data's fault. Every other answer — 401/403 (our credentials), 404 (database missing),
 * 429, 5xx, no answer — is the server's state: retried, never turned into a Reject, because a
 * Reject makes the agent set the record aside. So are the 400s about InfluxDB's own limits
 * (max-series-per-database, max-values-per-tag): raising the limit stores the point.
 */
export function isPermanent(err: unknown): boolean {
  const status = err instanceof InfluxWriteError ? err.status : (err as { res?: { statusCode?: number } }).res?.statusCode;
  return (status === 400 || status === 413) && !isServerLimit(err);
}

/** A refusal because of one of InfluxDB's own limits, which an operator can raise. */
export function isServerLimit(err: unknown): boolean {
  return SERVER_LIMIT.test((err as Error)?.message ?? '');
}

const SERVER_LIMIT = /max-series-per-database|max-values-per-tag|cache-max-memory-size/i;

/** InfluxDB says the database is gone (dropped while we run): it can be created again. */
export function isDatabaseMissing(err: unknown): boolean {
  return /database not found/i.test((err as Error)?.message ?? '');
}

export class BatchWriter extends EventEmitter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private pressured = false;
  private retryMs = 0;
  private closed = false;
  written = 0;
  failedWrites = 0;
  /** Why InfluxDB is not taking writes right now ('' when it is). */
  heldReason = '';
  /** Since when (ms) InfluxDB has refused every write or not answered; 0 while it takes them. */
  failingSinceMs = 0;
  /** Points over one of InfluxDB's limits, retried on their own (not holding the queue). */
  private aside: Pending[] = [];
  private asideTimer: NodeJS.Timeout | null = null;
  private asideDelayMs = 0;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly concurrency: number;
  private readonly highWater: number;

  constructor(
    private readonly post: Post,
    private readonly opts: WriterOptions,
  ) {
    super();
    this.batchSize = opts.batchSize ?? 5000;
    this.flushMs = opts.flushMs ?? 0;
    this.concurrency = opts.concurrency ?? 2;
    this.highWater = opts.highWater ?? 50_000;
  }

  write(point: EncodedPoint, done: Done): void {
    if (this.closed) return done(new Error('collector is shutting down'));
    // Not a spread with a literal key after it: V8 makes that a dictionary-mode object (points.ts
    // resultPoint), and the queue's every point is read several times on its way to InfluxDB.
    this.queue.push({ line: point.line, result: point.result, stamp: point.stamp, flagged: point.flagged, done, admitted: false });
    if (!this.pressured && this.queue.length >= this.highWater) {
      this.pressured = true;
      this.emit('pressure');
    }
    this.schedule();
  }

  /** Points held because InfluxDB refuses writes for reasons not theirs (0 when writing normally). */
  held(): number {
    // In retry mode queued() already counts the set-aside points, and the retrying ones are in
    // pendingInRequests: adding them again would count them twice.
    return this.heldReason ? this.queued() : this.aside.length + this.asideRetrying.size;
  }

  /** Set-aside points being retried: still held (no ack) until the retry settles each of them. */
  private readonly asideRetrying = new Set<Pending>();

  /** Points not yet accepted by InfluxDB (queued, in a request, or set aside for a limit). */
  queued(): number {
    return this.queue.length + this.pendingInRequests + this.aside.length;
  }

  private pendingInRequests = 0;

  /**
   * Adaptive batching: whenever a request slot is free the queue goes (after this tick's
   * messages joined it); while every slot is busy the queue grows, so batches grow with the load
   * on their own. flushMs (default 0) makes a partial batch wait that long for the second slot.
   * It was 50 ms: in the ingest bench a lone agent's 256-record window split into two halves
   * that alternated, each waiting the 50 ms with a slot free (ack p50 52 ms, 5 000 points/s).
   */
  private schedule(): void {
    if (this.timer || this.inFlight >= this.concurrency || this.queue.length === 0) return;
    const delay = this.retryMs || (this.inFlight === 0 || this.queue.length >= this.batchSize ? 0 : this.flushMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delay);
  }

  private flush(): void {
    // While retrying after a failure only one request probes InfluxDB.
    const limit = this.retryMs ? 1 : this.concurrency;
    while (this.inFlight < limit && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      this.inFlight++;
      this.pendingInRequests += batch.length;
      void this.send(batch);
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    let toWrite = batch;
    let same: Pending[] = [];
    let marker: OwedMarker | undefined;
    try {
      ({ toWrite, same } = await this.admit(batch));
      marker = this.markerFor([...toWrite, ...same]);
      // The marker goes with the results (both in the default policy): one request, as before.
      await this.postAll(this.byPolicy(toWrite, marker?.line));
      this.retryMs = 0;
      this.heldReason = '';
      this.failingSinceMs = 0;
      this.accepted(toWrite, same, marker);
    } catch (err) {
      marker?.settle(); // not written (or written with points that are marked again when retried)
      // A 400 may refuse only some points (a bad value, or new series past a limit): find them.
      if (isPermanent(err) || isServerLimit(err)) await this.isolate(toWrite, same);
      else {
        const keep = new Set([...same, ...toWrite]);
        await this.hold(
          err as Error,
          batch.filter((p) => keep.has(p)),
        ); // in their order
      }
    } finally {
      this.inFlight--;
      this.pendingInRequests -= batch.length;
      if (this.pressured && this.queue.length < this.highWater / 2) {
        this.pressured = false;
        this.emit('relief');
      }
      if (this.queue.length > 0) this.schedule();
      else if (this.inFlight === 0 && this.aside.length === 0) this.emit('drained');
    }
  }

  /**
   * The owed-overhead marker of these points' results, one line per agent (a replayed result of
   * one agent never widens another's range); flagged results (a wrong clock) are never computed,
   * so never marked.
   */
  private markerFor(points: Pending[]): OwedMarker | undefined {
    if (!this.opts.marker) return undefined;
    const byAgent = new Map<string, string[]>();
    for (const p of points) {
      if (!p.result || p.flagged) continue;
      const agent = String(p.result.tags?.agent ?? '');
      const list = byAgent.get(agent);
      if (list) list.push(String(p.result.timestamp));
      else byAgent.set(agent, [String(p.result.timestamp)]);
    }
    return byAgent.size ? this.opts.marker(byAgent) : undefined;
  }

  /**
   * The history check: a point already stored with the same content is acknowledged without
   * writing it again (`same`), one stored with other content is refused; the rest is returned
   * to write. Throws (nothing settled) when InfluxDB cannot be asked.
   */
  private async admit(batch: Pending[]): Promise<{ toWrite: Pending[]; same: Pending[] }> {
    const guard = this.opts.guard;
    const toCheck = guard ? batch.filter((p) => p.stamp && !p.admitted) : [];
    if (!guard || toCheck.length === 0) return { toWrite: batch, same: [] };
    const verdicts = await guard.check(toCheck.map((p) => p.stamp!));
    const settled = new Set<Pending>();
    const same: Pending[] = [];
    toCheck.forEach((p, i) => {
      const v = verdicts[i];
      if (v === 'new') p.admitted = true;
      else {
        settled.add(p);
        if (v === 'same') same.push(p);
        else
          p.done(
            new HistoryConflictError(
              `a different ${p.stamp!.measurement} point is already stored for this series and timestamp; stored history is append-only, so it was not overwritten`,
            ),
          );
      }
    });
    return { toWrite: settled.size ? batch.filter((p) => !settled.has(p)) : batch, same };
  }

  /**
   * One write per retention policy (InfluxDB's /write takes one): a batch is written only when
   * every part was accepted; a part written before another failed is written again, unchanged.
   * `extra`: a line of the collector's own (the owed marker), after the points.
   */
  private byPolicy(points: readonly Pending[], extra?: string): Map<string | undefined, string[]> {
    const out = new Map<string | undefined, string[]>();
    const add = (policy: string | undefined, line: string) => {
      const group = out.get(policy);
      if (group) group.push(line);
      else out.set(policy, [line]);
    };
    for (const p of points) add(this.policyOfPoint(p), p.line);
    if (extra !== undefined) add(this.opts.policyOf?.(measurementOfLine(extra)), extra);
    return out;
  }

  /**
   * Each policy's part in its own request, all at once (in turn, a batch of samples and results
   * took two InfluxDB round trips before its acks, and a lone agent's window waited both). Settled
   * together: when one fails, the batch is not accepted and nothing of it is still in flight when
   * it is held or split; a part already stored is written again unchanged (the same points).
   */
  private async postAll(parts: Map<string | undefined, string[]>): Promise<void> {
    const outcomes = await Promise.allSettled([...parts].map(([policy, lines]) => this.post(lines.join('\n'), policy)));
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
  }

  /**
   * The encoder's measurement where the point has one (a regex over every line cost 3–4 % of the
   * collector's CPU in the ingest bench's profile); parsed from the line otherwise.
   */
  private policyOfPoint(p: Pending): string | undefined {
    if (!this.opts.policyOf) return undefined;
    return this.opts.policyOf(p.stamp?.measurement ?? p.result?.measurement ?? measurementOfLine(p.line));
  }

  /** `same`: already stored (a resend after a lost ack), acked without writing them again. */
  private accepted(batch: Pending[], same: Pending[] = [], marker?: OwedMarker): void {
    this.written += batch.length;
    this.opts.guard?.stored(stamps(batch));
    const results: IPoint[] = [];
    for (const p of [...same, ...batch]) {
      p.done();
      // A flagged result (its time is not the measurement's) is stored, never computed.
      if (p.result && !p.flagged) results.push(p.result);
    }
    if (results.length) this.opts.onWritten?.(results, marker);
    else marker?.settle();
  }

  /**
   * A refused batch: each agent's points on their own, an agent's refused request split in
   * halves down to the refused points. Good points are acked; a point refused for good is
   * rejected; one over a limit is set aside (retried on its own). InfluxDB going away meanwhile
   * holds what is not written yet, like any failed write.
   */
  private async isolate(batch: Pending[], same: Pending[] = [], refusedWhole = true): Promise<void> {
    // The results' marker first, alone: none of them may be acked before it is stored.
    const marker = this.markerFor([...batch, ...same]);
    if (marker) {
      try {
        await this.post(marker.line);
      } catch (err) {
        marker.settle();
        return this.hold(err as Error, [...same, ...batch]);
      }
    }
    const good: Pending[] = [];
    const notWritten: Pending[] = [];
    const state: { down: Error | null } = { down: null };
    const groups = byAgent(batch);
    // One agent's points were the refused request itself: straight to its halves.
    if (groups.length === 1 && refusedWhole) await this.split(batch, good, notWritten, state);
    else for (const group of groups) await this.narrow(group, good, notWritten, state);
    this.accepted(good, same, marker);
    if (state.down) await this.hold(state.down, notWritten);
  }

  /** Writes `points`; on a refusal of theirs, each half on its own, down to single points. */
  private async narrow(points: Pending[], good: Pending[], notWritten: Pending[], state: { down: Error | null }): Promise<void> {
    if (state.down) {
      notWritten.push(...points);
      return;
    }
    try {
      await this.postAll(this.byPolicy(points));
      good.push(...points);
      return;
    } catch (err) {
      if (!isPermanent(err) && !isServerLimit(err)) {
        state.down = err as Error; // not the points' fault: InfluxDB went away
        notWritten.push(...points);
        return;
      }
      if (points.length > 1) return this.split(points, good, notWritten, state);
      const p = points[0]!;
      if (isPermanent(err)) {
        this.opts.guard?.forget(stamps([p]));
        p.done(new PermanentWriteError(`InfluxDB refused the point: ${(err as Error).message.slice(0, 300)}`));
      } else this.setAside(p, err as Error);
    }
  }

  private async split(points: Pending[], good: Pending[], notWritten: Pending[], state: { down: Error | null }): Promise<void> {
    const mid = Math.ceil(points.length / 2);
    await this.narrow(points.slice(0, mid), good, notWritten, state);
    await this.narrow(points.slice(mid), good, notWritten, state);
  }

  /** A point over one of InfluxDB's limits: held (no ack, no reject) and retried on its own timer. */
  private setAside(p: Pending, err: Error): void {
    this.asideRetrying.delete(p);
    this.aside.push(p);
    this.opts.log.warn(
      { error: err.message.slice(0, 300), agent: p.stamp?.agent, aside: this.aside.length },
      'InfluxDB refused a point for one of its limits: holding it and its ack, retrying it on its own; other points go on',
    );
    if (this.asideTimer || this.closed) return;
    this.asideDelayMs = Math.min(60_000, Math.max(this.opts.asideRetryMs ?? 1000, this.asideDelayMs * 2));
    this.asideTimer = setTimeout(() => void this.retryAside(), this.asideDelayMs);
    this.asideTimer.unref();
  }

  private async retryAside(): Promise<void> {
    this.asideTimer = null;
    const points = this.aside.splice(0);
    if (points.length === 0) return;
    this.pendingInRequests += points.length;
    for (const p of points) this.asideRetrying.add(p);
    try {
      await this.isolate(points, [], false); // tried whole first: the limit may have been raised
    } finally {
      this.pendingInRequests -= points.length;
      this.asideRetrying.clear();
    }
    if (this.aside.length === 0) this.asideDelayMs = 0;
    if (this.queue.length === 0 && this.inFlight === 0 && this.aside.length === 0) this.emit('drained');
  }

  /** InfluxDB refused for its own reasons: keep the points (no ack, no reject) and retry later. */
  private async hold(err: Error, points: Pending[]): Promise<void> {
    this.failedWrites++;
    if (!this.failingSinceMs) this.failingSinceMs = Date.now();
    this.heldReason = err.message.slice(0, 300);
    this.queue.unshift(...points); // oldest first again
    if (isDatabaseMissing(err) && this.opts.onDatabaseMissing) {
      await this.opts.onDatabaseMissing().then(
        () => this.opts.log.warn('the InfluxDB database was missing: created it again'),
        (e: Error) => this.opts.log.error({ error: e.message }, 'cannot create the missing InfluxDB database'),
      );
    }
    this.retryMs = Math.min(5000, Math.max(200, this.retryMs * 2));
    this.opts.log.warn(
      { error: this.heldReason, held: this.queue.length, retryInMs: this.retryMs },
      "InfluxDB refused a write for a reason that is not the data's: holding the points and their acks, retrying",
    );
  }

  /** Waits until the queue is written (or the timeout passes); then refuses new points. */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    if (this.queue.length === 0 && this.inFlight === 0 && this.aside.length === 0) return true;
    const drained = new Promise<boolean>((resolve) => this.once('drained', () => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const ok = await Promise.race([drained, timeout]);
    if (this.timer) clearTimeout(this.timer);
    if (this.asideTimer) clearTimeout(this.asideTimer);
    const left = [...this.queue.splice(0), ...this.aside.splice(0)];
    this.opts.guard?.forget(stamps(left));
    for (const p of left) p.done(new Error('collector shut down before InfluxDB accepted this point'));
    return ok;
  }
}

/** A line starts with its measurement (ours need no escaping) up to the first ',' or ' '. */
function measurementOfLine(line: string): string {
  const end = line.search(/[, ]/);
  return end < 0 ? line : line.slice(0, end);
}

/** Points grouped by the agent that sent them, each group in its order. */
function byAgent(points: Pending[]): Pending[][] {
  return [...groupBy(points, (p) => p.stamp?.agent ?? String(p.result?.tags?.agent ?? '')).values()];
}

function stamps(points: Pending[]): Stamp[] {
  const out: Stamp[] = [];
  for (const p of points) if (p.stamp) out.push(p.stamp);
  return out;
}
