// The collector's own numbers (issue 14 item 6), one `collector_stats` point per period:
// open streams, points written and failed (totals since start), queue depth, write latency
// (an ack goes out as soon as its batch's write returns, so this is the ack latency less the
// batching wait, at most --flush-ms), and the spool backlog the agents report.
import type { Store } from '../store/store.js';
import type { Post } from '../influx/http.js';

/** Times each InfluxDB write; read and reset once per period (and each time told to `observe`: /metrics). */
export class WriteTimer {
  constructor(private readonly observe?: (seconds: number) => void) {}
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;
  wrap(post: Post): Post {
    return async (body, policy) => {
      const t0 = performance.now();
      try {
        await post(body, policy);
      } finally {
        const ms = performance.now() - t0;
        this.count++;
        this.sumMs += ms;
        if (ms > this.maxMs) this.maxMs = ms;
        this.observe?.(ms / 1000);
      }
    };
  }
  take(): { writes: number; avgMs: number; maxMs: number } {
    const out = { writes: this.count, avgMs: this.count > 0 ? this.sumMs / this.count : 0, maxMs: this.maxMs };
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
    return out;
  }
}

export interface StatsSnapshot {
  openStreams: number;
  pointsWritten: number;
  pointsFailed: number;
  queueDepth: number;
}

/** Sum over agents of the `spooled` count of each one's newest heartbeat in the last hour. */
export async function spoolBacklog(store: Store, nowMs: number): Promise<number> {
  const beats = await store.select({
    measurement: 'agent_status',
    fields: ['spooled'],
    where: { after: BigInt(Math.round(nowMs - 3_600_000)) * 1_000_000n },
    newest: 1,
    groupBy: ['group', 'agent'],
  });
  return beats.reduce((sum, b) => sum + (typeof b.fields.spooled === 'number' ? b.fields.spooled : 0), 0);
}

export async function writeStats(store: Store, collector: string, snap: StatsSnapshot, timer: WriteTimer, nowMs: number): Promise<void> {
  const t = timer.take();
  const backlog = await spoolBacklog(store, nowMs);
  await store.write([
    {
      measurement: 'collector_stats',
      tags: { collector },
      fields: {
        open_streams: snap.openStreams,
        points_written: snap.pointsWritten,
        points_failed: snap.pointsFailed,
        queue_depth: snap.queueDepth,
        writes: t.writes,
        write_ms_avg: t.avgMs,
        write_ms_max: t.maxMs,
        spool_backlog: backlog,
      },
      timestamp: (BigInt(Math.round(nowMs)) * 1_000_000n).toString(),
    },
  ]);
}
