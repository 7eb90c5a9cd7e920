// The after-write pipeline: calls the listeners (listener.ts) in their order. Work that is owed
// (overhead, chains, change points) runs after the acks, one batch at a time, so it never
// delays an agent, and what is still owed at stop is left to the next start (owed.ts). Records
// (facts) keep their place among the batches, so a run's change points see its facts.
// Each listener's time is summed (costs): at fleet size it says which calculator the work after
// the acks goes to (/metrics, the fleet benchmark).
import type { IPoint } from 'influx';
import type { Logger } from 'pino';
import type { Hello__Output } from '../proto/index.js';
import type { IdentityTags } from '../schema/influx.js';
import type { RawQuery } from './influx/http.js';
import type { OwedMarker } from './influx/writer.js';
import type { ListenerCost, SeenHello, WriteListener, WrittenResult } from './listener.js';
import { catchUp, OwedWork } from './owed.js';
import { writtenResult } from './listener.js';

export class Pipeline {
  private readonly work: OwedWork;
  private readonly spent = new Map<string, ListenerCost>();
  private readonly owed: WriteListener[];
  private readonly records: WriteListener[];
  /**
   * The hellos of the task queued last, while it has not started and no batch was queued after it:
   * a hello coming then joins them (one facts read and write for a whole tick's hellos, not one
   * write each; the order with the batches is unchanged).
   */
  private openHellos: SeenHello[] | null = null;
  /** Likewise the results of the batches whose records task was queued last and has not started (one facts task for them). */
  private openResults: WrittenResult[] | null = null;

  constructor(
    listeners: readonly WriteListener[],
    private readonly log: Logger,
  ) {
    this.owed = listeners.filter((l) => l.owed && l.onResultsWritten);
    this.records = listeners.filter((l) => !l.owed);
    this.work = new OwedWork(async (results) => {
      let ok = true;
      for (const l of this.owed)
        await this.timed(l, results.length, () => l.onResultsWritten!(results)).catch((err: Error) => {
          ok = false;
          log.error({ error: err.message, results: results.length }, `${l.name} failed (tried again, up to 3 times)`);
        });
      return ok;
    });
  }

  /** The owed work's queue: says 'pressure' when it holds OWED_HIGH_WATER results, 'relief' at half (owed.ts). */
  get backlog(): Pick<OwedWork, 'on' | 'queued'> {
    return this.work;
  }

  /** Some listener's work is owed: the writer marks results with `overhead_owed` until it is done. */
  get owes(): boolean {
    return this.owed.length > 0;
  }

  /** The batch writer's onWritten: the `sysbench` points InfluxDB accepted, and their marker. */
  written(points: readonly IPoint[], marker?: OwedMarker): void {
    const results: WrittenResult[] = points.filter((p) => p.measurement === 'sysbench').map(writtenResult);
    this.openHellos = null; // a hello after this batch is recorded after it
    if (this.openResults) this.openResults.push(...results);
    else {
      const listeners = this.records.filter((l) => l.onResultsWritten);
      const batches = [...results];
      if (listeners.length) {
        this.openResults = batches;
        this.work.enqueue(async () => {
          if (this.openResults === batches) this.openResults = null; // started: later batches queue anew
          for (const l of listeners)
            await this.logged(
              l,
              this.timed(l, batches.length, () => l.onResultsWritten!(batches)),
            );
        });
      }
    }
    if (!this.owes) return;
    // Computed: its marker may go. Not reached when the collector stops first: the marker stays.
    this.work.add(results, marker && (() => marker.settle()));
  }

  /** Each authorized hello (the stream's onHello): with those queued right before it, if their task has not started. */
  hello(hello: Hello__Output, tags: IdentityTags): void {
    const seen: SeenHello = { hello, tags, nowNs: BigInt(Date.now()) * 1_000_000n };
    this.openResults = null; // a batch after this hello is recorded after it
    if (this.openHellos) {
      this.openHellos.push(seen);
      return;
    }
    const hellos = [seen];
    const listeners = this.records.filter((l) => l.onHellos);
    if (listeners.length === 0) return;
    this.openHellos = hellos;
    this.work.enqueue(async () => {
      if (this.openHellos === hellos) this.openHellos = null; // started: later hellos queue anew
      for (const l of listeners)
        await this.logged(
          l,
          this.timed(l, 0, () => l.onHellos!(hellos)),
        );
    });
  }

  /** In the background: the work an earlier collector left owed (its markers). */
  catchUp(query: RawQuery, self: string): void {
    if (this.owes)
      void catchUp(query, this.work, this.log, 5000, self).catch((err: Error) =>
        this.log.warn({ error: err.message }, 'could not compute the overhead owed by an earlier collector; retried at the next start'),
      );
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    return this.work.drained();
  }

  /** Stops taking work; the computation running gets graceMs; returns the results still owed. */
  stop(graceMs: number): Promise<WrittenResult[]> {
    return this.work.stop(graceMs);
  }

  /** Each listener's cost since start, by its name (a retried batch counts each try). */
  get costs(): ReadonlyMap<string, Readonly<ListenerCost>> {
    return this.spent;
  }

  /** Adds a call's time to its listener's cost, whether it succeeds or fails. */
  private async timed(l: WriteListener, results: number, call: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    try {
      await call();
    } finally {
      let c = this.spent.get(l.name);
      if (!c) this.spent.set(l.name, (c = { seconds: 0, results: 0, calls: 0 }));
      c.seconds += (performance.now() - t0) / 1000;
      c.results += results;
      c.calls++;
    }
  }

  private logged(l: WriteListener, task: Promise<void>): Promise<void> {
    return task.catch((err: Error) => this.log.error({ error: err.message }, `${l.name} failed`));
  }
}
