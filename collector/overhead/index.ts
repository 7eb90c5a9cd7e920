// The overhead calculator: after the collector wrote `sysbench` points, compute each
// affected guest run against its group's baseline and write measurement `overhead`.
//
// Stateless: everything is read back from the store (InfluxDB: collector/store), so any number of collectors can run and
// a restart loses nothing. Idempotent: an overhead point's timestamp is the guest run's first
// trial timestamp (per test, profile and thread count), so a recomputation overwrites it.
import type { Store } from '../store/store.js';
import type { MarginSpec } from '../../lib/compare/margin.js';
import { computeSeriesWork, type BatchContext, type SeriesWork } from './batch.js';
import type { WriteListener, WrittenResult } from '../listener.js';

export { compareGuestRun, overheadFields, runValues, type MetricComparison } from './compute.js';
export { METRIC_DIRECTIONS, KEY_METRICS, OVERHEAD_METRICS, metricDirection, primaryMetric, overheadPct } from '../../schema/metrics.js';
export { compareVariants, type VariantComparison } from './variants.js';

export { DEFAULT_WINDOW_MS } from './window.js';
import { DEFAULT_WINDOW_MS } from './window.js';

export interface OverheadCalculatorOptions {
  /** Where the agents' trials are read and the `overhead` points written. */
  store: Store;
  /** How far (either side of the guest run) a baseline result may be. Default 24 h. */
  windowMs?: number;
  /** The user's equivalence margins (--margin); default: the table in lib/compare/margin.ts. */
  margins?: MarginSpec;
  /** Called with a problem in one guest run; the others still get computed. */
  onError?: (err: Error, run: GuestRunKey) => void;
  /** Leave trials the agent judged disturbed out of the comparisons (docs/noise.md); they are counted either way. */
  excludeDisturbed?: boolean;
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

function threadsOf(fields: Record<string, unknown>): number | null {
  return typeof fields.threads === 'number' ? fields.threads : null;
}

export function createOverheadCalculator(options: OverheadCalculatorOptions): OverheadCalculator {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new Error(`overhead: windowMs must be a positive number of milliseconds, got ${windowMs}`);
  const ctx: BatchContext = {
    store: options.store,
    windowNs: BigInt(Math.round(windowMs)) * 1_000_000n,
    ...(options.margins ? { margins: options.margins } : {}),
    excludeDisturbed: options.excludeDisturbed === true,
  };

  async function recomputeGuestRun(run: GuestRunKey): Promise<number> {
    const { group, test, profile, threads, agent, runId, anchorNs } = run;
    return computeSeriesWork({ group, test, profile, threads, runs: [{ agent, runId, anchorNs }], baselineAnchors: [] }, ctx);
  }

  async function onResultsWritten(points: readonly WrittenResult[]): Promise<void> {
    // One piece of work per group, test, profile and thread count: its guests' runs and its baseline results.
    const work = new Map<string, SeriesWork>();
    for (const p of points) {
      const { group, agent, role, test, profile } = p.tags;
      const runId = p.fields.run_id;
      if (!group || !agent || !test || profile === undefined || typeof runId !== 'string' || p.fields.ok === false) continue;
      if (role !== 'guest' && role !== 'baseline') continue;
      const threads = threadsOf(p.fields);
      const k = JSON.stringify([group, test, profile, threads]);
      let w = work.get(k);
      if (!w) work.set(k, (w = { group, test, profile, threads, runs: [], baselineAnchors: [] }));
      if (role === 'guest') w.runs.push({ agent, runId, anchorNs: BigInt(p.timestamp_ns) });
      else w.baselineAnchors.push(BigInt(p.timestamp_ns));
    }
    const errors: Error[] = [];
    for (const w of work.values()) {
      try {
        await computeSeriesWork(w, ctx);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (options.onError)
          options.onError(e, {
            group: w.group,
            agent: w.runs[0]?.agent ?? '',
            test: w.test,
            profile: w.profile,
            runId: w.runs[0]?.runId ?? '',
            threads: w.threads,
            anchorNs: w.runs[0]?.anchorNs ?? w.baselineAnchors[0]!,
          });
        else errors.push(e);
      }
    }
    if (errors.length > 0) throw new Error(`overhead: ${errors.length} group test(s) failed; first: ${errors[0]!.message}`);
  }

  return { name: 'overhead computation', owed: true, onResultsWritten, recomputeGuestRun };
}
