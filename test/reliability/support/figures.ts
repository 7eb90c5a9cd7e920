// Measured figures of each scenario, appended to $VO_RELIABILITY_FIGURES (default
// <tmpdir>/vo-reliability-figures.jsonl) so docs/RELIABILITY.md's table can be refreshed.
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Figures {
  sent: number;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
  note?: string;
}

export function recordFigures(scenario: string, f: Figures): void {
  const path = process.env.VO_RELIABILITY_FIGURES ?? join(tmpdir(), 'vo-reliability-figures.jsonl');
  appendFileSync(path, JSON.stringify({ scenario, ...f, at: new Date().toISOString() }) + '\n');
}
