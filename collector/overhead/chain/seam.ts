// The one place the chain model touches the comparison code: every layer is compared with the
// same function, statistics and baseline-run rule as a guest against its baseline. When the
// comparison moves (issue 12's engine), only these imports change.
import { nearestRun as nearest, type TimedTrial } from '../../../lib/compare/baseline.js';
export { compareLayer, historyBefore, nearestRuns, BASELINE_POOL_RUNS } from '../compute.js';
export { marginFor } from '../../../lib/compare/margin.js';
export { mean, tQuantile, variance } from '../../../lib/stats/stats.js';
export { inferResolution, quantizationVariance } from '../../../lib/stats/resolution.js';
export { metricDirection, OVERHEAD_METRICS } from '../../../schema/metrics.js';

/** The engine's baseline-run rule, in the shape the chain calculator reads. */
export function nearestRun<T extends TimedTrial>(rows: readonly T[], startNs: bigint): { runId: string; rows: T[] } | null {
  const run = nearest(rows, startNs);
  return run && { runId: run.runId, rows: run.trials };
}
