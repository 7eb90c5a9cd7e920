// Batches points from every agent stream into InfluxDB writes. A point's promise resolves only
// after InfluxDB accepted the batch holding it — the collector acks on that, never before.
// InfluxDB down (connection error, 5xx): the batch is kept and retried with backoff, nothing
// is acked, and once the queue is long the server pauses its streams (backpressure into the
// agents' spools). A 4xx (a point InfluxDB refuses) is isolated by writing the batch's points
// one by one, so one bad point cannot hold the others hostage.
import { EventEmitter } from 'node:events';
import type { InfluxDB, IPoint } from 'influx';
import type { Logger } from 'pino';

export interface WriterOptions {
  batchSize?: number;
  flushMs?: number;
  /** Queue length at which 'pressure' is emitted (and 'relief' at half of it). */
  highWater?: number;
  log: Logger;
  /** Called after a batch was accepted, with its points. */
  onWritten?: (points: IPoint[]) => void;
}

interface Pending {
  point: IPoint;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class PermanentWriteError extends Error {
  override name = 'PermanentWriteError';
}

/**
 * Only a 400 (a point InfluxDB can never store: type conflict, bad value) or 413 (too big) is
 * the data's fault. Every other answer — 401/403 (our credentials), 404 (database missing),
 * 429, 5xx, no answer — is the server's state: retried, never turned into a Reject, because a
 * Reject makes the agent delete the record from its spool.
 */
export function isPermanent(err: unknown): boolean {
  const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
  return status === 400 || status === 413;
}

export class BatchWriter extends EventEmitter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private pressured = false;
  private retryMs = 0;
  private closed = false;
  written = 0;
  failedWrites = 0;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly highWater: number;

  constructor(private readonly influx: InfluxDB, private readonly opts: WriterOptions) {
    super();
    this.batchSize = opts.batchSize ?? 5000;
    this.flushMs = opts.flushMs ?? 50;
    this.highWater = opts.highWater ?? 50_000;
  }

  write(point: IPoint): Promise<void> {
    if (this.closed) return Promise.reject(new Error('collector is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ point, resolve, reject });
      if (!this.pressured && this.queue.length >= this.highWater) {
        this.pressured = true;
        this.emit('pressure');
      }
      this.schedule();
    });
  }

  queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.writing || this.timer) return;
    const delay = this.retryMs || (this.queue.length >= this.batchSize ? 0 : this.flushMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  private async flush(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const batch = this.queue.slice(0, this.batchSize);
    try {
      await this.influx.writePoints(batch.map((p) => p.point), { precision: 'n' });
      this.queue.splice(0, batch.length);
      this.retryMs = 0;
      this.written += batch.length;
      for (const p of batch) p.resolve();
      this.opts.onWritten?.(batch.map((p) => p.point));
    } catch (err) {
      if (isPermanent(err)) {
        this.queue.splice(0, batch.length);
        await this.isolate(batch);
      } else {
        this.failedWrites++;
        this.retryMs = Math.min(5000, Math.max(200, this.retryMs * 2));
        this.opts.log.warn({ error: (err as Error).message, queued: this.queue.length, retryInMs: this.retryMs }, 'InfluxDB write failed; holding the batch and the acks, retrying');
      }
    } finally {
      this.writing = false;
      if (this.pressured && this.queue.length < this.highWater / 2) {
        this.pressured = false;
        this.emit('relief');
      }
      if (this.queue.length > 0) this.schedule();
      else this.emit('drained');
    }
  }

  /** Writes a refused batch point by point: the good ones are acked, the bad ones rejected. */
  private async isolate(batch: Pending[]): Promise<void> {
    const good: IPoint[] = [];
    for (const p of batch) {
      try {
        await this.influx.writePoints([p.point], { precision: 'n' });
        this.written++;
        good.push(p.point);
        p.resolve();
      } catch (err) {
        if (isPermanent(err)) p.reject(new PermanentWriteError(`InfluxDB refused the point: ${(err as Error).message.slice(0, 300)}`));
        else this.queue.unshift(p); // InfluxDB went away meanwhile: retry it later
      }
    }
    if (good.length) this.opts.onWritten?.(good);
  }

  /** Waits until the queue is written (or the timeout passes); then refuses new points. */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    if (this.queue.length === 0 && !this.writing) return true;
    const drained = new Promise<boolean>((resolve) => this.once('drained', () => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const ok = await Promise.race([drained, timeout]);
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) p.reject(new Error('collector shut down before InfluxDB accepted this point'));
    return ok;
  }
}
