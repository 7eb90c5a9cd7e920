// Number formatting shared by the terminal table and the HTML report.
import type { Comparison } from '../../lib/compare/compare.js';

export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 10_000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

export function fmtRatio(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3);
}

export function fmtPct(v: number): string {
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
  return (v > 0 ? '+' : '') + s + '%';
}

export function directionText(direction: 'higher' | 'lower'): string {
  return direction === 'higher' ? 'higher is better' : 'lower is better';
}

export function sectionTitle(s: { test: string; group: string; profile: string; threads: number | null }): string {
  return `${s.test} · group ${s.group} · profile ${s.profile}${s.threads !== null ? ` · ${s.threads} thread${s.threads === 1 ? '' : 's'}` : ''}`;
}

/** Half width of an interval; rounding noise of identical trials (1e-17) shows as 0. */
export function fmtHalfWidth(mean: number, low: number, high: number): string {
  const h = (high - low) / 2;
  return h <= 1e-9 * Math.abs(mean) ? '0' : fmtNum(h);
}

/** What the comparison cells need (the engine's Comparison has all of it; so does a stored point). */
export type ComparisonView = Pick<
  Comparison,
  | 'verdict'
  | 'reason'
  | 'marginPct'
  | 'ratio'
  | 'ratioLow'
  | 'ratioHigh'
  | 'overheadPct'
  | 'overheadLowPct'
  | 'overheadHighPct'
  | 'p'
  | 'moreRuns'
  | 'noiseFloorPct'
>;

/** `0.800 [0.726, 0.881]`, or the ratio alone without an interval; '—' without a ratio. */
export function fmtRatioCell(c: ComparisonView): string {
  if (c.ratio === null) return '—';
  return c.ratioLow !== null && c.ratioHigh !== null ? `${fmtRatio(c.ratio)} [${fmtRatio(c.ratioLow)}, ${fmtRatio(c.ratioHigh)}]` : fmtRatio(c.ratio);
}

/** `+25.0% [+12.1%, +39.0%]`; an unmeasurable comparison shows no number that looks precise. */
export function fmtOverheadCell(c: ComparisonView): string {
  if (c.overheadPct === null || c.verdict === 'unmeasurable') return '—';
  return c.overheadLowPct !== null && c.overheadHighPct !== null
    ? `${fmtPct(c.overheadPct)} [${fmtPct(c.overheadLowPct)}, ${fmtPct(c.overheadHighPct)}]`
    : fmtPct(c.overheadPct);
}

export function fmtMargin(marginPct: number): string {
  return `±${Number(marginPct.toFixed(2))}%`;
}

/** `margin ±3%, noise ±2.1%`: the margin and, beside it, what run-to-run noise alone puts on the interval. */
export function fmtMarginNoise(c: Pick<ComparisonView, 'marginPct' | 'noiseFloorPct'>): string {
  return `margin ${fmtMargin(c.marginPct)}${c.noiseFloorPct !== null ? `, noise ±${Number(c.noiseFloorPct.toPrecision(2))}%` : ''}`;
}

/**
 * The verdict in words: `worse by +25.0% (margin ±3%, noise ±2.1%)`, `equivalent (margin ±3%, noise ±1.2%)`,
 * `inconclusive: noise 6.2 % exceeds the margin 3 % (…)`, `inconclusive: ~4 more runs per side (…)`, `unmeasurable: <reason>`.
 * No p-value beside it: the verdict comes from the interval against the margin, and a p can sit on
 * the other side of 0.05 and read as a second, contradicting answer.
 */
export function fmtVerdict(c: ComparisonView): string {
  const mn = fmtMarginNoise(c);
  switch (c.verdict) {
    case 'worse':
    case 'better':
      return `${c.verdict} by ${fmtPct(Math.abs(c.overheadPct!)).replace('+', '')} (${mn})`;
    case 'equivalent':
      return `equivalent (${mn})`;
    case 'inconclusive': {
      const first = c.reason.split('; ')[0]!;
      const why = /^noise/.test(first) ? first : c.moreRuns !== null ? `~${c.moreRuns} more run${c.moreRuns === 1 ? '' : 's'} per side` : first;
      return `inconclusive: ${why} (${mn})`;
    }
    case 'unmeasurable':
      return `unmeasurable: ${c.reason}`;
  }
  // No default: a new verdict must be worded here, and the type-check says so.
  const unworded: never = c.verdict;
  return unworded;
}
