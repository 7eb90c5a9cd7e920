// Which way is "better" for each sysbench result field, and how a guest/baseline ratio
// becomes an overhead percentage. The table is documented in docs/overhead.md.
import type { ResultField } from './sysbench.js';
import { TEST_TYPES, TESTS, type TestName } from './test-types.js';
import type { Direction } from '../lib/compare/direction.js';
export type { Direction } from '../lib/compare/direction.js';

/**
 * Metrics the overhead is computed for. Left out on purpose: `latency_pct` (the
 * percentile asked for, a setting), the fairness standard deviations (a spread, often 0,
 * whose ratio means nothing), `operations` / `transferred_mib` (fixed by the workload size).
 */
export const METRIC_DIRECTIONS: Readonly<Partial<Record<ResultField, Direction>>> = {
  events_per_sec: 'higher',
  total_events: 'higher',
  reads_per_sec: 'higher',
  writes_per_sec: 'higher',
  fsyncs_per_sec: 'higher',
  read_mib_per_sec: 'higher',
  written_mib_per_sec: 'higher',
  operations_per_sec: 'higher',
  mib_per_sec: 'higher',
  fairness_events_avg: 'higher',
  total_time_s: 'lower',
  latency_min_ms: 'lower',
  latency_avg_ms: 'lower',
  latency_max_ms: 'lower',
  latency_pct_ms: 'lower',
  latency_sum_ms: 'lower',
  fairness_exec_time_avg: 'lower',
};

export const OVERHEAD_METRICS = Object.keys(METRIC_DIRECTIONS) as ResultField[];

export function metricDirection(metric: string): Direction | undefined {
  return (METRIC_DIRECTIONS as Record<string, Direction | undefined>)[metric];
}

/**
 * The metrics that answer "how fast is this test", in order of preference: the first one a
 * run printed is the test's headline (used by the trial rule, the report and its charts).
 * Each test type's `headline` (schema/test-types.ts).
 */
export const KEY_METRICS: Readonly<Record<TestName, readonly ResultField[]>> = Object.fromEntries(TESTS.map((t) => [t, TEST_TYPES[t].headline])) as Record<
  TestName,
  readonly ResultField[]
>;

/** The headline metric of a test among the fields a run printed, or undefined. */
export function primaryMetric(test: TestName, fields: Readonly<Record<string, unknown>>): ResultField | undefined {
  return KEY_METRICS[test].find((m) => typeof fields[m] === 'number' && Number.isFinite(fields[m]));
}

// The overhead formula lives in the ground floor (lib/compare) with the rest of the comparison engine.
export { overheadPct, overheadPctInterval } from '../lib/compare/direction.js';
