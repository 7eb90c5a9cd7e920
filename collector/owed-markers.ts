// Durable overhead_owed markers, so that a collector killed without warning (SIGKILL, power cut,
// OOM) leaves its owed overhead computable too. Each write request that stores results carries
// a marker point (the results' time range) in the same request, so a result is never acked
// before InfluxDB holds a marker for it. The marker is deleted once the overhead of its results
// was computed; the next collector computes what the markers still name (catchUp in owed.ts).
// Deletes are coalesced: one DELETE of every marker up to the newest whose predecessors are all
// settled, at most one in flight, so a burst of batches costs a few deletes, not one each.
import type { Logger } from 'pino';
import type { RawQuery } from './influx/http.js';
import type { OwedMarker } from './influx/writer.js';
import { owedMarkerLine } from './owed.js';

export class OwedMarkers {
  /** Marker times in issue order (= time order) → settled (computed, or never written). */
  private readonly outstanding = new Map<bigint, boolean>();
  private lastNs = 0n;
  private deleteUpTo = 0n;
  private deletedUpTo = 0n;
  private deleting: Promise<void> | null = null;

  /** `collector`: this process's id; markers are deleted only by it, or by a later catch-up. */
  constructor(
    readonly collector: string,
    private readonly query: RawQuery,
    private readonly log: Logger,
  ) {}

  /**
   * A marker for results about to be written, one line per agent (their own time range: one
   * agent's replayed week never makes the next start recompute that week for every agent):
   * goes in the same request as they do.
   */
  mark(timestampsByAgent: Map<string, string[]>): OwedMarker {
    let t = BigInt(Date.now()) * 1_000_000n;
    if (t <= this.lastNs) t = this.lastNs + 1n; // unique: two markers at one time would be one point
    this.lastNs = t;
    this.outstanding.set(t, false);
    const lines = [...timestampsByAgent].map(([agent, timestamps]) => owedMarkerLine(timestamps, t, this.collector, agent));
    return { line: lines.join('\n'), settle: () => this.settle(t) };
  }

  /** Markers issued and not yet settled. */
  get pending(): number {
    let n = 0;
    for (const done of this.outstanding.values()) if (!done) n++;
    return n;
  }

  private settle(t: bigint): void {
    if (!this.outstanding.has(t)) return;
    this.outstanding.set(t, true);
    for (const [time, done] of this.outstanding) {
      if (!done) break;
      this.deleteUpTo = time;
      this.outstanding.delete(time);
    }
    if (this.deleteUpTo > this.deletedUpTo && !this.deleting) this.deleting = this.deleteSettled();
  }

  private async deleteSettled(): Promise<void> {
    while (this.deleteUpTo > this.deletedUpTo) {
      const upTo = this.deleteUpTo;
      try {
        await this.query(`DELETE FROM "overhead_owed" WHERE "collector" = '${this.collector}' AND time <= ${upTo}`);
        this.deletedUpTo = upTo;
      } catch (err) {
        // Left in place: the next start computes those results again, which is harmless.
        this.log.warn({ error: (err as Error).message }, 'could not delete settled overhead_owed markers; the next start recomputes them');
        break;
      }
    }
    this.deleting = null;
  }

  /** Waits for the delete in flight (at stop, so that finished work is not redone). */
  async flush(): Promise<void> {
    await this.deleting;
  }
}

/** This process's marker id: host, pid and start time (safe as a tag value and in InfluxQL quotes). */
export function collectorMarkerId(host: string, pid = process.pid, startMs = Date.now()): string {
  return `${host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}:${pid}:${startMs}`;
}
