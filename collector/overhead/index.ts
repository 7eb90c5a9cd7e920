// The overhead calculator: after the collector wrote `sysbench` points, compute each
// affected guest run against its group's baseline and write measurement `overhead`.
//
// Stateless: everything is read back from InfluxDB, so any number of collectors can run and
// a restart loses nothing. Idempotent: an overhead point's timestamp is the guest run's first
// trial timestamp (per test, profile and thread count), so a recomputation overwrites it.
import type { InfluxDB, IPoint } from 'influx';
import { compareGuestRun, overheadFields, HISTORY_MS } from './compute.js';
import { eq, timeBetween } from '../../schema/influxql.js';
import { replaceRunPoints, runSeriesWhere } from './replace-run-points.js';
import type { MarginSpec } from '../../lib/compare/margin.js';
import { querySysbench, SYSBENCH_TAGS, type SysbenchRow } from './rows.js';
import type { WriteListener, WrittenResult } from '../listener.js';

export { compareGuestRun, overheadFields, runValues, type MetricComparison } from './compute.js';
export { METRIC_DIRECTIONS, KEY_METRICS, OVERHEAD_METRICS, metricDirection, primaryMetric, overheadPct } from '../../schema/metrics.js';
export { compareVariants, type VariantComparison } from './variants.js';

export { DEFAULT_WINDOW_MS } from './window.js';
import { DEFAULT_WINDOW_MS } from './window.js';

export interface OverheadCalculatorOptions {
  /** An `influx` client; queries and writes name `database` explicitly. */
  influx: InfluxDB;
  database: string;
  /** How far (either side of the guest run) a baseline result may be. Default 24 h. */
  windowMs?: number;
  /** The user's equivalence margins (--margin); default: the table in lib/compare/margin.ts. */
  margins?: MarginSpec;
  /** Called with a problem in one guest run; the others still get computed. */
  onError?: (err: Error, run: GuestRunKey) => void;
}

export interface OverheadCalculator extends WriteListener {
  onResultsWritten(points: readonly WrittenResult[]): Promise<void>;
  /** Recomputes one guest run (what onResultsWritten does for each affected run). Returns points written. */
  recomputeGuestRun(run: GuestRunKey): Promise<number>;
}

/** One guest run of one test at one thread count; anchorNs is any of its trials' timestamps. */
export interface GuestRunKey {
  group: string;
  agent: string;
  test: string;
  profile: string;
  runId: string;
  threads: number | null;
  anchorNs: bigint;
}

function runKeyString(k: GuestRunKey): string {
  return JSON.stringify([k.group, k.agent, k.test, k.profile, k.runId, k.threads]);
}

function threadsOf(fields: Record<string, unknown>): number | null {
  return typeof fields.threads === 'number' ? fields.threads : null;
}

function minTime(rows: readonly SysbenchRow[]): bigint {
  return rows.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), rows[0]!.timeNs);
}

export function createOverheadCalculator(options: OverheadCalculatorOptions): OverheadCalculator {
  const { influx, database } = options;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new Error(`overhead: windowMs must be a positive number of milliseconds, got ${windowMs}`);
  const windowNs = BigInt(Math.round(windowMs)) * 1_000_000n;
  const historyNs = BigInt(HISTORY_MS) * 1_000_000n;

  const matches = (r: SysbenchRow, threads: number | null) => r.ok && r.threads === threads;

  async function recomputeGuestRun(run: GuestRunKey): Promise<number> {
    const guestWhere = [
      eq('group', run.group),
      eq('agent', run.agent),
      eq('role', 'guest'),
      eq('test', run.test),
      eq('profile', run.profile),
      eq('run_id', run.runId),
      timeBetween(run.anchorNs - windowNs, run.anchorNs + windowNs),
    ].join(' AND ');
    const allGuestRows = await querySysbench(influx, database, guestWhere);
    const guestRows = allGuestRows.filter((r) => matches(r, run.threads));
    if (guestRows.length === 0) return 0;
    const startNs = minTime(guestRows);

    const baselineWhere = [
      eq('group', run.group),
      eq('role', 'baseline'),
      eq('test', run.test),
      eq('profile', run.profile),
      timeBetween(startNs - windowNs, startNs + windowNs),
    ].join(' AND ');
    const baselineRows = (await querySysbench(influx, database, baselineWhere)).filter((r) => matches(r, run.threads));
    // The guest's earlier runs of this series (same agent and variant): its run-to-run spread (compute.ts historyBefore).
    const historyWhere = [
      eq('group', run.group),
      eq('agent', run.agent),
      eq('variant', guestRows[0]!.tags.variant ?? ''),
      eq('role', 'guest'),
      eq('test', run.test),
      eq('profile', run.profile),
      `time >= ${startNs - historyNs} AND time < ${startNs}`,
    ].join(' AND ');
    const historyRows = (await querySysbench(influx, database, historyWhere)).filter((r) => matches(r, run.threads));
    const first = guestRows.find((r) => r.timeNs === startNs)!;
    const baseTags: Record<string, string> = {};
    for (const t of SYSBENCH_TAGS) baseTags[t] = first.tags[t] ?? '';
    const points: IPoint[] = compareGuestRun(guestRows, historyRows, baselineRows, { margins: options.margins }).map((c) => ({
      measurement: 'overhead',
      tags: { ...baseTags, metric: c.metric, baseline_agent: c.baselineAgent },
      fields: {
        ...overheadFields(c),
        run_id: run.runId,
        baseline_run_id: c.baselineRunId,
        ...(run.threads !== null ? { threads: run.threads } : {}),
      },
      timestamp: startNs.toString(),
    }));
    await removeStalePoints(run, guestRows, startNs);
    await replaceRunPoints(influx, database, 'overhead', runSeriesWhere(run.group, run.agent, run.test, run.profile), startNs, points);
    return points.length;
  }

  /**
   * A run whose trials arrived out of order (spool replay) was first stored under a later
   * trial's timestamp; delete such points so each run keeps exactly one overhead point per metric.
   */
  async function removeStalePoints(run: GuestRunKey, guestRows: readonly SysbenchRow[], startNs: bigint): Promise<void> {
    const laterTimes = new Set(guestRows.filter((r) => r.timeNs !== startNs).map((r) => r.timeNs));
    if (laterTimes.size === 0) return;
    const last = guestRows.reduce((m, r) => (r.timeNs > m ? r.timeNs : m), startNs);
    const seriesWhere = runSeriesWhere(run.group, run.agent, run.test, run.profile);
    const existing = (await influx.query(`SELECT "ratio", "run_id", "threads" FROM "overhead" WHERE ${seriesWhere} AND time > ${startNs} AND time <= ${last}`, {
      database,
    })) as unknown as Array<{ time: { getNanoTime(): string }; run_id?: string; threads?: number }>;
    const stale = new Set<bigint>();
    for (const row of existing) {
      const t = BigInt(row.time.getNanoTime());
      if (row.run_id === run.runId && (row.threads ?? null) === run.threads && laterTimes.has(t)) stale.add(t);
    }
    for (const t of stale) await influx.query(`DELETE FROM "overhead" WHERE ${seriesWhere} AND ${timeBetween(t, t)}`, { database });
  }

  /** Guest runs of a group's test within the window around a baseline result. */
  async function guestRunsNear(group: string, test: string, profile: string, threads: number | null, anchorNs: bigint): Promise<GuestRunKey[]> {
    const where = [
      eq('group', group),
      eq('role', 'guest'),
      eq('test', test),
      eq('profile', profile),
      timeBetween(anchorNs - windowNs, anchorNs + windowNs),
    ].join(' AND ');
    const rows = (await querySysbench(influx, database, where)).filter((r) => matches(r, threads));
    const runs = new Map<string, GuestRunKey>();
    for (const r of rows) {
      const key: GuestRunKey = { group, agent: r.tags.agent!, test, profile, runId: r.runId, threads, anchorNs: r.timeNs };
      const prev = runs.get(runKeyString(key));
      if (!prev || r.timeNs < prev.anchorNs) runs.set(runKeyString(key), key);
    }
    return [...runs.values()];
  }

  async function onResultsWritten(points: readonly WrittenResult[]): Promise<void> {
    const guestRuns = new Map<string, GuestRunKey>();
    const baselineKeys = new Map<string, { group: string; test: string; profile: string; threads: number | null; anchorNs: bigint }>();
    for (const p of points) {
      const { group, agent, role, test, profile } = p.tags;
      const runId = p.fields.run_id;
      if (!group || !agent || !test || profile === undefined || typeof runId !== 'string' || p.fields.ok === false) continue;
      const threads = threadsOf(p.fields);
      const anchorNs = BigInt(p.timestamp_ns);
      if (role === 'guest') {
        const key: GuestRunKey = { group, agent, test, profile, runId, threads, anchorNs };
        if (!guestRuns.has(runKeyString(key))) guestRuns.set(runKeyString(key), key);
      } else if (role === 'baseline') {
        const k = JSON.stringify([group, test, profile, threads]);
        const prev = baselineKeys.get(k);
        if (!prev || anchorNs < prev.anchorNs) baselineKeys.set(k, { group, test, profile, threads, anchorNs });
      }
    }
    for (const b of baselineKeys.values()) {
      for (const key of await guestRunsNear(b.group, b.test, b.profile, b.threads, b.anchorNs)) {
        if (!guestRuns.has(runKeyString(key))) guestRuns.set(runKeyString(key), key);
      }
    }
    const errors: Error[] = [];
    for (const run of guestRuns.values()) {
      try {
        await recomputeGuestRun(run);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (options.onError) options.onError(e, run);
        else errors.push(e);
      }
    }
    if (errors.length > 0) throw new Error(`overhead: ${errors.length} guest run(s) failed; first: ${errors[0]!.message}`);
  }

  return { name: 'overhead computation', owed: true, onResultsWritten, recomputeGuestRun };
}
