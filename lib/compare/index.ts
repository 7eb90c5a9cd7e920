// The comparison engine (issues 12, 13, 22): direction and percent-worse, runs as the unit
// (runs.ts), which runs speak for a series (clean.ts), the run-to-run spread (spread.ts), each
// side's estimate (estimate.ts), the verdict (compare.ts), the margin table (margin.ts), the
// baseline-run helpers (baseline.ts) and the agent's trial rule (trials.ts). See docs/overhead.md.
export * from './direction.js';
export * from './runs.js';
export * from './clean.js';
export * from './spread.js';
export * from './estimate.js';
export * from './compare.js';
export * from './margin.js';
export * from './baseline.js';
export * from './trials.js';
