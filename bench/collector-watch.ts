// Whether the collector under test still works through what it owes, for the simulated agents'
// ack wait (bench/sim-agent.ts AckWait): a stream paused behind owed work acks nothing for
// minutes, which is not a failed run while the collector is alive and its owed markers change.
// One answer shared by every agent asking at once (a thousand agents fall quiet together).
import { owedMarkers } from './fleet-collector.js';

export interface CollectorWatch {
  pid: number;
  influxUrl: string;
  database: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `stuck` for AckWait: a reason when the collector is not running, or its owed markers (InfluxDB's
 * `overhead_owed`) have not changed for `quietMs`; undefined while they change. `owed` and `now`
 * are the test's.
 */
export function collectorStuck(
  w: CollectorWatch,
  quietMs: number,
  owed: () => Promise<number> = () => owedMarkers(w.influxUrl, w.database),
  now: () => number = () => performance.now(),
): () => Promise<string | undefined> {
  let seen: { owed: number; since: number } | null = null;
  let asking: Promise<string | undefined> | null = null;
  const look = async (): Promise<string | undefined> => {
    if (!alive(w.pid)) return `the collector (pid ${w.pid}) is not running`;
    const n = await owed();
    const t = now();
    if (!seen || seen.owed !== n) seen = { owed: n, since: t };
    if (t - seen.since < quietMs) return undefined;
    return n === 0
      ? `the collector (pid ${w.pid}) owes no work, yet acks nothing`
      : `the collector (pid ${w.pid}) is alive but its ${n} owed batches did not change for ${Math.round((t - seen.since) / 1000)} s`;
  };
  return () => (asking ??= look().finally(() => (asking = null)));
}
