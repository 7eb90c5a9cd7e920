// Whether the collector under test still works through what it owes, for the simulated agents'
// ack wait (bench/sim-agent.ts AckWait): a stream paused behind owed work acks nothing for
// minutes, which is not a failed run while the collector is alive and its owed markers change,
// or it keeps working: a fleet's tick merged into one computation (21 000 results of 1 017
// agents) settles its markers only when done, which took over 300 s at load 10 — the collector
// busy all along. So its CPU time counts as progress too; a collector waiting on nothing does not.
// One answer shared by every agent asking at once (a thousand agents fall quiet together).
import { owedMarkers } from './fleet-collector.js';
import { cpuMs } from './proc.js';

/** Below this share of one core over the quiet period, an unchanged collector is not working. */
export const BUSY_SHARE = 0.05;

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
 * `overhead_owed`) have not changed for `quietMs` while it used less than BUSY_SHARE of a core;
 * undefined while they change or it works. `owed`, `now` and `cpu` (its CPU ms) are the test's.
 */
export function collectorStuck(
  w: CollectorWatch,
  quietMs: number,
  owed: () => Promise<number> = () => owedMarkers(w.influxUrl, w.database),
  now: () => number = () => performance.now(),
  cpu: () => number = () => cpuMs(w.pid),
): () => Promise<string | undefined> {
  let seen: { owed: number; since: number; cpu: number } | null = null;
  let asking: Promise<string | undefined> | null = null;
  const look = async (): Promise<string | undefined> => {
    if (!alive(w.pid)) return `the collector (pid ${w.pid}) is not running`;
    const n = await owed();
    const t = now();
    const c = cpu();
    if (!seen || seen.owed !== n) seen = { owed: n, since: t, cpu: c };
    const quiet = t - seen.since;
    if (quiet < quietMs) return undefined;
    const used = c - seen.cpu;
    if (used >= BUSY_SHARE * quiet) {
      seen = { owed: n, since: t, cpu: c }; // working: a new quiet period starts
      return undefined;
    }
    const idle = `for ${Math.round(quiet / 1000)} s, using ${(used / 1000).toFixed(1)} s of CPU meanwhile`;
    return n === 0
      ? `the collector (pid ${w.pid}) owes no work, yet acks nothing ${idle}`
      : `the collector (pid ${w.pid}) is alive but its ${n} owed batches did not change ${idle}`;
  };
  return () => (asking ??= look().finally(() => (asking = null)));
}
