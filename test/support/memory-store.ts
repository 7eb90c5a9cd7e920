// An in-memory Store (collector/store/store.ts) for the calculators' unit tests: InfluxDB's
// data model kept as a map of series key + time → point. A point written at the series and
// time of a stored one merges its fields into it, as InfluxDB does; a missing tag equals '' in
// a where. Production code never imports this (lint: nothing outside tests imports test/).
import type { Measurement } from '../../schema/influx.js';
import { seriesKey } from '../../collector/influx/line.js';
import {
  byTimeAndSeries,
  newestOf,
  tagValuesOf,
  type FieldValue,
  type Row,
  type Selection,
  type Store,
  type StorePoint,
  type Where,
} from '../../collector/store/store.js';
import type { WrittenResult } from '../../collector/listener.js';
import { toWritten, type TrialSpec } from './sysbench-points.js';

interface Stored {
  measurement: Measurement;
  key: string;
  timeNs: bigint;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
}

/** A where's tag sets checked before any point is: an empty set is an error with no points stored too. */
function checked(w: Where | undefined): Where | undefined {
  for (const [k, match] of Object.entries(w?.tags ?? {})) tagValuesOf(k, match);
  return w;
}

function matches(p: Stored, w: Where | undefined): boolean {
  if (!w) return true;
  for (const [k, match] of Object.entries(w.tags ?? {})) if (!tagValuesOf(k, match).includes(p.tags[k] ?? '')) return false;
  if (w.from !== undefined && p.timeNs < w.from) return false;
  if (w.to !== undefined && p.timeNs > w.to) return false;
  if (w.after !== undefined && p.timeNs <= w.after) return false;
  return true;
}

export class MemoryStore implements Store {
  private readonly points = new Map<string, Stored>();
  /** Every write, in order (a test can see what a calculator wrote and how often). */
  readonly writes: StorePoint[][] = [];

  async write(points: readonly StorePoint[]): Promise<void> {
    this.writes.push([...points]);
    for (const p of points) {
      const tags = Object.fromEntries(Object.entries(p.tags).filter(([, v]) => v !== ''));
      for (const [k, v] of Object.entries(p.fields))
        if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`field ${k}: ${v} is not a finite number`);
      const key = seriesKey(p.measurement, tags);
      const at = `${key} ${p.timestamp}`;
      const old = this.points.get(at);
      this.points.set(at, { measurement: p.measurement, key, timeNs: BigInt(p.timestamp), tags, fields: { ...old?.fields, ...p.fields } });
    }
  }

  async select(s: Selection): Promise<Row[]> {
    checked(s.where);
    const rows: Array<Row & { key: string }> = [];
    for (const p of this.points.values()) {
      if (p.measurement !== s.measurement || !matches(p, s.where)) continue;
      const fields = s.fields ? Object.fromEntries(s.fields.filter((f) => f in p.fields).map((f) => [f, p.fields[f]!])) : { ...p.fields };
      if (Object.keys(fields).length === 0) continue;
      rows.push({ timeNs: p.timeNs, tags: { ...p.tags }, fields, key: p.key });
    }
    rows.sort(byTimeAndSeries);
    const out = rows.map(({ key: _k, ...r }) => r);
    return s.newest !== undefined ? newestOf(out, s.newest, s.groupBy) : out;
  }

  async selectMany(selections: readonly Selection[]): Promise<Row[][]> {
    return Promise.all(selections.map((s) => this.select(s)));
  }

  async tagValues(measurement: Measurement, key: string, where?: Where): Promise<string[]> {
    checked(where);
    const values = new Set<string>();
    for (const p of this.points.values()) if (p.measurement === measurement && matches(p, where) && p.tags[key]) values.add(p.tags[key]);
    return [...values].sort();
  }

  async delete(measurement: Measurement, where: Where | readonly Where[]): Promise<void> {
    const wheres: readonly Where[] = Array.isArray(where) ? where : [where as Where];
    wheres.forEach(checked);
    for (const [at, p] of this.points) if (p.measurement === measurement && wheres.some((w) => matches(p, w))) this.points.delete(at);
  }

  /** Every stored point of a measurement, oldest first (for assertions). */
  all(measurement: Measurement): Row[] {
    return [...this.points.values()]
      .filter((p) => p.measurement === measurement)
      .sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0))
      .map((p) => ({ timeNs: p.timeNs, tags: { ...p.tags }, fields: { ...p.fields } }));
  }
}

/** Stores `sysbench` trials as the batch writer would, and returns what it hands to the listeners. */
export async function storeTrials(store: MemoryStore, trials: readonly TrialSpec[]): Promise<WrittenResult[]> {
  const written = trials.map(toWritten);
  await store.write(written.map((w) => ({ measurement: 'sysbench', tags: w.tags, fields: w.fields, timestamp: w.timestamp_ns })));
  return written;
}
