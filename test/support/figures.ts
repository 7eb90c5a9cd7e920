// Measured figures of each scenario, appended to $VO_RELIABILITY_FIGURES (default
// <tmpdir>/vo-reliability-figures.jsonl) so docs/RELIABILITY.md's table can be refreshed.
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every scenario ends in the same counts (issue 16: produced, stored, spooled, dropped, rejected). */
export interface Figures {
  /** Produced: records the agents (or raw clients) made and sent. */
  sent: number;
  acknowledged: number;
  stored: number;
  /** Still in a spool at the end (on disk or held in memory): kept, not lost. */
  spooled: number;
  /** Dropped by an agent (spool cap, records destroyed on purpose): gone. */
  dropped: number;
  /** Refused by the collector (Reject, ALREADY_EXISTS, a stream error) or set aside by the agent (quarantine). */
  rejected: number;
  lost: number;
  duplicated: number;
  note?: string;
}

export function recordFigures(scenario: string, f: Figures): void {
  const path = process.env.VO_RELIABILITY_FIGURES ?? join(tmpdir(), 'vo-reliability-figures.jsonl');
  appendFileSync(path, JSON.stringify({ scenario, ...f, at: new Date().toISOString() }) + '\n');
}
