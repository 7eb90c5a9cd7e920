// Change-point detection (pure math): E-divisive means + Otava's t-test, split and merge.
export { bestSplit, type Candidate } from './edivisive.js';
export { compareSegments, compareSegmentsAR, changeMagnitude, type SegmentStats } from './ttest.js';
export { noiseAutocorrelation, meanVarianceFactor, adjacentCovarianceFactor, sumOfSquaresFactor, MAX_RHO, MIN_RHO_VALUES } from './autocorr.js';
export { changePoints, divisive, restate, type ChangePoint, type ChangePointOptions, type SegmentTest } from './hunter.js';
export { isolatedOutliers, type OutlierOptions } from './outliers.js';
export { findDrifts, fitRamp, stepsSse, type Drift, type DriftOptions, type Ramp } from './drift.js';
