// The one place the chain model touches the comparison code: every layer is compared with the
// same function, statistics and baseline-run rule as a guest against its baseline. When the
// comparison moves (issue 12's engine), only these imports change.
export { computeOverhead as compareLayer, type OverheadFields as LayerFields } from './compute.js';
export { mean, tQuantile, variance } from './stats.js';
export { metricDirection, OVERHEAD_METRICS } from '../../schema/metrics.js';
export { nearestRun } from './index.js';
