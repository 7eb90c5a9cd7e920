// Batches points from every agent stream into InfluxDB writes. A point's callback fires only
// after InfluxDB accepted the request holding it — the collector acks on that, never before.
// InfluxDB down (no answer, 5xx, 401/403/404): the batch is kept and retried with backoff,
// nothing is acked, and once the queue is long the server pauses its streams (backpressure
// into the agents' spools). A 400/413 (points InfluxDB can never store) is isolated by
// writing the batch's points one by one, so one bad point cannot hold the others hostage.
// Up to `concurrency` requests are in flight, so encoding the next batch overlaps InfluxDB
// storing the last one.
import { EventEmitter } from 'node:events';
import type { IPoint } from 'influx';
import type { Logger } from 'pino';
import type { EncodedPoint } from './points.js';

export interface InfluxTarget {
  /** Base URL, e.g. http://127.0.0.1:8086; user:password@ in it becomes basic auth. */
  url: string;
  database: string;
}

export interface WriterOptions {
  batchSize?: number;
  flushMs?: number;
  /** Write requests in flight at once (default 2). */
  concurrency?: number;
  /** Queue length at which 'pressure' is emitted (and 'relief' at half of it). */
  highWater?: number;
  log: Logger;
  /** Called after a batch was accepted, with the `sysbench` results in it. */
  onWritten?: (results: IPoint[]) => void;
}

/** err undefined: stored. A PermanentWriteError: InfluxDB refused it for good. Other: not stored (shutdown). */
export type Done = (err?: Error) => void;

interface Pending extends EncodedPoint {
  done: Done;
}

export class PermanentWriteError extends Error {
  override name = 'PermanentWriteError';
}

export class InfluxWriteError extends Error {
  override name = 'InfluxWriteError';
  constructor(message: string, readonly status: number | null) {
    super(message);
  }
}

/**
 * Only a 400 (a point InfluxDB can never store: type conflict, bad value) or 413 (too big) is
 * the data's fault. Every other answer — 401/403 (our credentials), 404 (database missing),
 * 429, 5xx, no answer — is the server's state: retried, never turned into a Reject, because a
 * Reject makes the agent delete the record from its spool.
 */
export function isPermanent(err: unknown): boolean {
  const status = err instanceof InfluxWriteError ? err.status : (err as { res?: { statusCode?: number } }).res?.statusCode;
  return status === 400 || status === 413;
}

/** POSTs line protocol to InfluxDB 1.x's /write (also served by Enterprise and InfluxDB 3). */
export function lineWriter(target: InfluxTarget): (body: string) => Promise<void> {
  const u = new URL(target.url);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (u.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  const endpoint = `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}/write?db=${encodeURIComponent(target.database)}&precision=n`;
  return async (body) => {
    let res: Response;
    try {
      res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new InfluxWriteError(`InfluxDB did not answer: ${(err as Error).cause ? String((err as Error & { cause: unknown }).cause) : (err as Error).message}`, null);
    }
    if (res.status === 204 || res.status === 200) {
      await res.arrayBuffer();
      return;
    }
    const text = (await res.text()).slice(0, 500);
    throw new InfluxWriteError(`InfluxDB answered ${res.status}: ${text}`, res.status);
  };
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
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly concurrency: number;
  private readonly highWater: number;

  constructor(private readonly post: (body: string) => Promise<void>, private readonly opts: WriterOptions) {
    super();
    this.batchSize = opts.batchSize ?? 5000;
    this.flushMs = opts.flushMs ?? 50;
    this.concurrency = opts.concurrency ?? 2;
    this.highWater = opts.highWater ?? 50_000;
  }

  write(point: EncodedPoint, done: Done): void {
    if (this.closed) return done(new Error('collector is shutting down'));
    this.queue.push({ line: point.line, result: point.result, done });
    if (!this.pressured && this.queue.length >= this.highWater) {
      this.pressured = true;
      this.emit('pressure');
    }
    this.schedule();
  }

  /** Points not yet accepted by InfluxDB (queued or in a request). */
  queued(): number {
    return this.queue.length + this.pendingInRequests;
  }

  private pendingInRequests = 0;

  /**
   * Adaptive batching: with nothing in flight the queue goes at once (after this tick's
   * messages joined it), so a lone agent is acked in one round trip; while a request is in
   * flight a partial batch waits up to flushMs, so batches grow with the load.
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
    try {
      await this.post(batch.map((p) => p.line).join('\n'));
      this.retryMs = 0;
      this.accepted(batch);
    } catch (err) {
      if (isPermanent(err)) {
        await this.isolate(batch);
      } else {
        this.failedWrites++;
        this.queue.unshift(...batch); // oldest first again
        this.retryMs = Math.min(5000, Math.max(200, this.retryMs * 2));
        this.opts.log.warn({ error: (err as Error).message, queued: this.queue.length, retryInMs: this.retryMs }, 'InfluxDB write failed; holding the batch and the acks, retrying');
      }
    } finally {
      this.inFlight--;
      this.pendingInRequests -= batch.length;
      if (this.pressured && this.queue.length < this.highWater / 2) {
        this.pressured = false;
        this.emit('relief');
      }
      if (this.queue.length > 0) this.schedule();
      else if (this.inFlight === 0) this.emit('drained');
    }
  }

  private accepted(batch: Pending[]): void {
    this.written += batch.length;
    const results: IPoint[] = [];
    for (const p of batch) {
      p.done();
      if (p.result) results.push(p.result);
    }
    if (results.length) this.opts.onWritten?.(results);
  }

  /** Writes a refused batch point by point: the good ones are acked, the bad ones rejected. */
  private async isolate(batch: Pending[]): Promise<void> {
    const good: Pending[] = [];
    for (const p of batch) {
      try {
        await this.post(p.line);
        good.push(p);
      } catch (err) {
        if (isPermanent(err)) p.done(new PermanentWriteError(`InfluxDB refused the point: ${(err as Error).message.slice(0, 300)}`));
        else this.queue.unshift(p); // InfluxDB went away meanwhile: retry it later
      }
    }
    this.accepted(good);
  }

  /** Waits until the queue is written (or the timeout passes); then refuses new points. */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    if (this.queue.length === 0 && this.inFlight === 0) return true;
    const drained = new Promise<boolean>((resolve) => this.once('drained', () => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const ok = await Promise.race([drained, timeout]);
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) p.done(new Error('collector shut down before InfluxDB accepted this point'));
    return ok;
  }
}
