// Statistics for the comparison engine: descriptive statistics, Student's t, Welch, ratio
// intervals (stats.ts), printing resolution (resolution.ts), robust scale (robust.ts). Formulas in docs/overhead.md.
export * from './stats.js';
export * from './resolution.js';
export * from './median-ci.js';
export * from './robust.js';
