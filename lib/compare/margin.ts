// The equivalence margin ±m: what difference matters. By default the noise floor measured from
// the reference's own run-to-run spread (two runs of the same system differ by less than this
// 95 % of the time), never below MIN_MARGIN_PCT; a user-set margin wins.
import { mean, stddev } from '../stats/stats.js';

/** Used while the reference has fewer than NOISE_FLOOR_MIN_RUNS runs to measure its spread from. */
export const DEFAULT_MARGIN_PCT = 3;
/** A difference below 1 % is not one a user acts on, however steady the machine. */
export const MIN_MARGIN_PCT = 1;
export const NOISE_FLOOR_MIN_RUNS = 3;
/** The noise floor looks at this many most recent runs. */
export const NOISE_FLOOR_MAX_RUNS = 10;

export type MarginSource = 'user' | 'noise-floor' | 'default';

export interface Margin {
  marginPct: number;
  source: MarginSource;
  /** The measured noise floor in percent, when there were enough runs. */
  noiseFloorPct: number | null;
}

/**
 * Noise floor in percent from the means of the reference's runs: 1.96 · √2 · (SD of run means /
 * their mean) · 100, the 95 % range of the difference between two independent runs. Null with
 * fewer than NOISE_FLOOR_MIN_RUNS runs or a mean ≤ 0.
 */
export function noiseFloorPct(runMeans: readonly number[]): number | null {
  const recent = runMeans.slice(-NOISE_FLOOR_MAX_RUNS);
  if (recent.length < NOISE_FLOOR_MIN_RUNS) return null;
  const m = mean(recent);
  if (!(m > 0)) return null;
  return 1.96 * Math.SQRT2 * (stddev(recent) / m) * 100;
}

/** The margin for one comparison: the user's, else the noise floor (at least MIN_MARGIN_PCT), else the default. */
export function chooseMargin(runMeans: readonly number[], userPct?: number | null): Margin {
  const floor = noiseFloorPct(runMeans);
  if (userPct !== undefined && userPct !== null) {
    if (!(userPct >= 0) || !Number.isFinite(userPct)) throw new Error(`margin must be a finite percentage ≥ 0, got ${userPct}`);
    return { marginPct: userPct, source: 'user', noiseFloorPct: floor };
  }
  if (floor === null) return { marginPct: DEFAULT_MARGIN_PCT, source: 'default', noiseFloorPct: null };
  return { marginPct: Math.max(MIN_MARGIN_PCT, round2(floor)), source: 'noise-floor', noiseFloorPct: floor };
}

/** Margins are shown and stored to 0.01 %; rounding here keeps the stored value and the verdict in step. */
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export interface MarginSpec {
  /** For every group without its own. */
  marginPct?: number;
  groupMargins: Record<string, number>;
}

/** The margin set for one group: its own, else every group's, else null (the noise floor decides). */
export function marginForGroup(
  spec: { marginPct?: number; groupMargins?: Readonly<Record<string, number>> } | undefined,
  group: string | undefined,
): number | null {
  return (group !== undefined ? spec?.groupMargins?.[group] : undefined) ?? spec?.marginPct ?? null;
}

/** Parses `2`, `lab=2,prod=5` or `3,lab=2` (percent; a bare number is every group's). */
export function parseMarginSpec(text: string): MarginSpec {
  const out: MarginSpec = { groupMargins: {} };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const [group, value] = eq < 0 ? [null, part] : [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    const pct = Number(value.replace(/%$/, ''));
    if (value === '' || !Number.isFinite(pct) || pct < 0 || pct >= 100)
      throw new Error(`margin: '${part}' is not a percentage in [0, 100) (e.g. 2, or group=2)`);
    if (group === null) out.marginPct = pct;
    else if (group === '') throw new Error(`margin: '${part}' names no group`);
    else out.groupMargins[group] = pct;
  }
  return out;
}
