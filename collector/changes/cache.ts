// What the change detector keeps of one guest's test between batches: its overhead series as
// last read, so a batch costs a read of the runs it can have changed, not of a year. Pure.
import { byTime, seriesId, type OverheadSeries } from './series.js';

/**
 * The series with their runs in [fromNs, toNs] replaced by those of `fresh` (all the rows that
 * range holds now, read back after the batch): runs recomputed, added or deleted there are
 * taken as they are stored; runs outside it are kept.
 */
export function mergeRange(
  cached: ReadonlyMap<string, OverheadSeries>,
  fresh: readonly OverheadSeries[],
  fromNs: bigint,
  toNs: bigint,
): Map<string, OverheadSeries> {
  const out = new Map<string, OverheadSeries>();
  for (const [id, s] of cached) out.set(id, { ...s, runs: s.runs.filter((r) => r.timeNs < fromNs || r.timeNs > toNs) });
  for (const f of fresh) {
    const id = seriesId(f.metric, f.baselineAgent, f.threads);
    const s = out.get(id);
    if (s) s.runs = [...s.runs, ...f.runs].sort(byTime);
    else out.set(id, { ...f, runs: [...f.runs] });
  }
  return out;
}

/**
 * What the analysis sees of each series: its runs at or after `sinceNs`, at most the `maxRuns`
 * newest. The same rule for a series read whole and one built up batch by batch, so both give
 * the same change points. Series left empty go.
 */
export function bound(series: ReadonlyMap<string, OverheadSeries>, sinceNs: bigint, maxRuns: number): Map<string, OverheadSeries> {
  const out = new Map<string, OverheadSeries>();
  for (const [id, s] of series) {
    const runs = s.runs.filter((r) => r.timeNs >= sinceNs).slice(-maxRuns);
    if (runs.length > 0) out.set(id, runs.length === s.runs.length ? s : { ...s, runs });
  }
  return out;
}

/** A map that forgets its least recently used entry beyond `max` entries. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
  delete(k: K): void {
    this.map.delete(k);
  }
  get size(): number {
    return this.map.size;
  }
}
