// Which way is better, and how a ratio B/A becomes "percent worse". One formula for the
// collector's overhead, the report, variant comparisons and the trial rule (docs/overhead.md).

/** `higher`: a rate or amount of work done (more is better); `lower`: a time or latency. */
export type Direction = 'higher' | 'lower';

/**
 * Percent worse from ratio = candidate / reference, positive when the candidate is worse.
 * Both directions measure the same thing, the extra time needed for the same work:
 * throughput (reference/candidate − 1)·100, time or latency (candidate/reference − 1)·100.
 */
export function overheadPct(ratio: number, direction: Direction): number {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`overheadPct: ratio must be a positive finite number, got ${ratio}`);
  return direction === 'higher' ? (1 / ratio - 1) * 100 : (ratio - 1) * 100;
}

/** Maps a ratio interval [low, high] to an overhead interval [low %, high %] (monotone). */
export function overheadPctInterval(ratioLow: number, ratioHigh: number, direction: Direction): [number, number] {
  const a = overheadPct(ratioLow, direction);
  const b = overheadPct(ratioHigh, direction);
  return a <= b ? [a, b] : [b, a];
}

/** The ratio candidate/reference at which the candidate is `pct` percent worse (inverse of overheadPct). */
export function ratioAtPct(pct: number, direction: Direction): number {
  if (!(pct > -100) || !Number.isFinite(pct)) throw new Error(`ratioAtPct: pct must be a finite number > -100, got ${pct}`);
  return direction === 'higher' ? 1 / (1 + pct / 100) : 1 + pct / 100;
}
