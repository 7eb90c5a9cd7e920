// What runs after a write. Each calculator (facts, overhead, nested stacks, change points) is a
// WriteListener; the composition root (index.ts) lists them and the pipeline (pipeline.ts)
// calls them in that order. A new calculator is one more entry in that list, not another
// named call in the collector.
import type { IPoint } from 'influx';
import type { Hello__Output } from '../proto/index.js';
import type { IdentityTags } from '../schema/influx.js';

/** A stored `sysbench` result, as the collector hands it over after InfluxDB accepted it. */
export interface WrittenResult {
  tags: Record<string, string>;
  /** What the listeners read of it (WRITTEN_FIELDS); its values are in InfluxDB. */
  fields: Record<string, number | string | boolean>;
  timestamp_ns: string;
}

/**
 * The fields a listener reads of a written result. Only these are kept while its work is owed: a
 * backlog (a fleet replaying a month of spool) held every value of every result, ~2 KB each.
 */
export const WRITTEN_FIELDS = ['run_id', 'ok', 'threads', 'trial'] as const;

export function writtenResult(p: IPoint): WrittenResult {
  const fields: WrittenResult['fields'] = {};
  for (const f of WRITTEN_FIELDS) {
    const v = p.fields?.[f];
    if (v !== undefined) fields[f] = v as number | string | boolean;
  }
  return { tags: p.tags as Record<string, string>, fields, timestamp_ns: String(p.timestamp) };
}

export interface WriteListener {
  /** Named in the log when it fails ('overhead computation'). */
  readonly name: string;
  /**
   * true: its work is derived from the stored results (overhead, chains, change points). It runs
   * after the acks, is retried when it fails, and what a stop leaves is recorded in
   * `overhead_owed` and redone from the stored results by the next start.
   * false: it records what was seen (facts); it runs once, in order with the batches, a failure
   * is logged and not retried.
   */
  readonly owed: boolean;
  onResultsWritten?(results: readonly WrittenResult[]): Promise<void>;
  /**
   * Authorized hellos, in order with the batches: those that came one after another with no batch
   * between them, together (a fleet's tick connects hundreds of agents at once; issue 26).
   */
  onHellos?(hellos: readonly SeenHello[]): Promise<void>;
}

/** A hello as the pipeline hands it over: the stream's identity tags and the collector's clock when it came. */
export interface SeenHello {
  hello: Hello__Output;
  tags: IdentityTags;
  nowNs: bigint;
}

/** What one listener has cost since the collector started. */
export interface ListenerCost {
  /**
   * Wall time from each call to its settling: its own CPU, InfluxDB's answers to it, and what the
   * event loop ran meanwhile (owed listeners run one at a time, so little else of the after-write work).
   */
  seconds: number;
  /** Results handed to it (a hello counts none). */
  results: number;
  calls: number;
}
