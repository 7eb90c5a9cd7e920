// Change-point detection (pure math): E-divisive means + Otava's t-test, split and merge.
export { bestSplit, type Candidate } from './edivisive.js';
export { compareSegments, changeMagnitude, type SegmentStats } from './ttest.js';
export { changePoints, divisive, restate, type ChangePoint, type ChangePointOptions } from './hunter.js';
export { isolatedOutliers, type OutlierOptions } from './outliers.js';
