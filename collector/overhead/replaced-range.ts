// The DELETE of a recompute's replaced runs (issue 26). A run whose stored points hold a field the
// recompute no longer writes (`more_runs` once a verdict is decided: every replacement counted in a
// baseline run of the fleet benchmark) must be deleted before it is written again, and InfluxDB 1.x
// walks every shard once per DELETE statement; a statement takes one time range, so one run each
// was 23–44 statements and 3–8 s of a 100-guest group's baseline run. When every stored point of
// those guests inside the range the runs span is rewritten by this recompute anyway, one statement
// over that range gives the same points.
import type { Row } from '../store/store.js';

/** A point time to delete: a replaced run's start or a stale stamp of a run (batch.ts). */
export interface ReplacedAt {
  agent: string;
  at: bigint;
}

/** What the recompute read of the guests: runs it computes and the trials in its read. */
export interface RangeFacts {
  /** The stored `overhead` rows of the computed guests, over a range holding every replaced time. */
  stored: readonly Row[];
  /** runKey → the computed run's start (its points are written in full in range mode). */
  computedStarts: ReadonlyMap<string, bigint>;
  /** Every trial read of the guests (any thread count, failed ones too). */
  trials: readonly Trial[];
}

export interface Trial {
  agent: string;
  runId: string;
  threads: number | null;
  timeNs: bigint;
}

/** A run of one thread count: a run id may span several. */
export const runKey = (t: Omit<Trial, 'timeNs'>) => `${t.agent}\0${t.runId}\0${t.threads}`;

/**
 * The one range [from, to] covering every replaced time, when deleting every point of those
 * guests in it loses nothing this recompute does not write again: each stored row there is at a
 * replaced time or at the start of a computed run (written in full), and each trial there belongs
 * to a computed run. Otherwise null (one statement per time, as before).
 */
export function sharedRange(replaced: readonly ReplacedAt[], facts: RangeFacts): [bigint, bigint] | null {
  if (replaced.length < 2) return null;
  const from = replaced.reduce((m, r) => (r.at < m ? r.at : m), replaced[0]!.at);
  const to = replaced.reduce((m, r) => (r.at > m ? r.at : m), replaced[0]!.at);
  const agents = new Set(replaced.map((r) => r.agent));
  const inRange = (agent: string, t: bigint) => agents.has(agent) && t >= from && t <= to;
  const rewritten = new Set(replaced.map((r) => `${r.agent}\0${r.at}`));
  for (const [run, start] of facts.computedStarts) rewritten.add(`${run.split('\0')[0]}\0${start}`);
  for (const row of facts.stored) {
    const agent = row.tags.agent ?? '';
    if (inRange(agent, row.timeNs) && !rewritten.has(`${agent}\0${row.timeNs}`)) return null;
  }
  for (const t of facts.trials) if (inRange(t.agent, t.timeNs) && !facts.computedStarts.has(runKey(t))) return null;
  return [from, to];
}
