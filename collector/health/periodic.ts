// The collector's self-stats and the silence check, once per period, one at a time: a slow
// InfluxDB never piles them up.
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { checkSilence } from './silence.js';
import { writeStats, type StatsSnapshot, type WriteTimer } from './stats.js';

export interface PeriodicOptions {
  store: Store;
  /** The `collector` tag of collector_stats. */
  collectorId: string;
  /** 0: off. */
  periodMs: number;
  silentAfterMs: number;
  timer: WriteTimer;
  snapshot: () => StatsSnapshot;
  log: Logger;
}

/** Starts the period; the returned stop waits for the check running. */
export function startPeriodicChecks(o: PeriodicOptions): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer =
    o.periodMs > 0
      ? setInterval(() => {
          running = running
            .then(async () => {
              const now = Date.now();
              await writeStats(o.store, o.collectorId, o.snapshot(), o.timer, now);
              await checkSilence(o.store, now, { silentAfterMs: o.silentAfterMs, periodMs: o.periodMs });
            })
            .catch((err: Error) => o.log.warn({ error: err.message }, 'collector stats / silence check failed'));
        }, o.periodMs)
      : null;
  timer?.unref();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
