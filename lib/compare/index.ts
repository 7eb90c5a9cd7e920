// The comparison engine (issue 12 item 3, issue 13): direction and percent-worse, the verdict of
// one comparison, the margin, the baseline-run rule and the trial rule. See docs/overhead.md.
export * from './direction.js';
export * from './compare.js';
export * from './margin.js';
export * from './baseline.js';
export * from './trials.js';
