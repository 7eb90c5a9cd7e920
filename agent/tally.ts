// What became of what the agent measured, for its last log line and its exit status: every
// result and sample of this process is delivered (acknowledged), still spooled on disk (sent
// at the next start), set aside in quarantine, or lost (dropped by the cap, refused by a full
// disk, or held only in memory when the agent exits). The counts come from the spool's own
// counters at start and at exit, so they add up: atStart.spooled + measured =
// delivered + spooled + quarantined + lost.
import type { SpoolStats } from './spool/spool.js';

export interface Tally {
  measured: number;
  /** Spooled when the agent started (left by an earlier run), sent in this one. */
  replayed: number;
  delivered: number;
  /** On disk, for the next start. */
  spooled: number;
  quarantined: number;
  /** Dropped, or held only in memory at exit: gone. */
  lost: number;
}

export function tally(atStart: SpoolStats, atEnd: SpoolStats, measured: number, delivered: number): Tally {
  return {
    measured,
    replayed: atStart.spooled,
    delivered,
    spooled: atEnd.spooled - atEnd.memory,
    quarantined: atEnd.quarantined - atStart.quarantined,
    lost: atEnd.dropped - atStart.dropped + atEnd.memory,
  };
}

export function tallyLine(t: Tally): string {
  return `agent exiting: measured ${t.measured}, delivered ${t.delivered}, still spooled ${t.spooled}, quarantined ${t.quarantined}, lost ${t.lost}`;
}
