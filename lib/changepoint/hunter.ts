// Change points the way Hunter / Apache Otava finds them (Fleming et al., ICPE 2023):
// 1. split: E-divisive means inside sliding windows, each candidate kept while the t-test
//    says it is significant at a relaxed p (weak change points);
// 2. merge: drop the weakest point (largest p, or smallest magnitude) and recompute its
//    neighbours until every point is significant at the real p and large enough.
// Windows keep the cost linear in the series length and let old shifts not hide new ones.
import { bestSplit } from './edivisive.js';
import { changeMagnitude, compareSegments, compareSegmentsAR, type SegmentStats } from './ttest.js';

/** The significance test of a change point between the values before and after it. */
export type SegmentTest = (left: readonly number[], right: readonly number[]) => SegmentStats;

export interface ChangePoint {
  /** Index of the first value after the change. */
  index: number;
  stats: SegmentStats;
}

export interface ChangePointOptions {
  /** Significance level of a change point (Otava's default 0.001). */
  maxPValue?: number;
  /** Smallest relative change of the means kept (Otava's min_magnitude; default 0). */
  minMagnitude?: number;
  /** Sliding window length (Otava's default 50). */
  windowLen?: number;
  /**
   * Fewest values each side of a change point (default 1, as Otava). Larger values make a
   * lone outlier unable to form a change (it would need a segment of its own) at the price
   * of reporting a shift only once that many values after it arrived.
   */
  minSegment?: number;
  /**
   * Smallest absolute difference of the means kept (default 0). Otava's min_magnitude is
   * relative, which means nothing for a series around 0 such as an overhead in percent.
   */
  minAbsChange?: number;
  /**
   * Most values each side that the t-test of a change point looks at, nearest first (default:
   * all, as Otava). Over months a segment's slow drift and its leftover outliers widen the
   * pooled variance until a fresh shift a few runs long is no longer significant against a
   * year of history; comparing with the nearest runs keeps the test about "then vs now".
   */
  maxSegment?: number;
  /**
   * Two change points this many runs apart or fewer are one event (default 0: off, as Otava):
   * when the level after the second is not significantly (or not minAbsChange) different from
   * the level before the first, it was a transient (a bump that went back) and both go;
   * otherwise it was one shift split in two steps and the later point goes.
   */
  mergeWithin?: number;
  /**
   * Lag-1 autocorrelation ρ of the series' noise (autocorr.ts noiseAutocorrelation). Given, every
   * test is compareSegmentsAR at that ρ (GLS; 0: the plain pooled t-test); absent, Otava's test.
   */
  autocorrelation?: number;
}

/** [start, end) pieces of a series of length n cut at the sorted indexes. */
function intervals(indexes: readonly number[], n: number): Array<[number, number]> {
  const cuts = [0, ...indexes, n];
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i] !== cuts[i + 1]) out.push([cuts[i]!, cuts[i + 1]!]);
  return out;
}

/** The t-test of a change point against its neighbours (the pieces either side of it). */
function statsAt(
  series: readonly number[],
  index: number,
  sortedIndexes: readonly number[],
  maxSegment = Infinity,
  test: SegmentTest = compareSegments,
): SegmentStats {
  let lo = Math.max(0, index - maxSegment);
  let hi = Math.min(series.length, index + maxSegment);
  for (const i of sortedIndexes) {
    if (i < index && i > lo) lo = i;
    if (i > index && i < hi) hi = i;
  }
  return test(series.slice(lo, index), series.slice(index, hi));
}

/** Original E-divisive with the t-test on series[start:end]: split while significant. */
export function divisive(series: readonly number[], start: number, end: number, maxPValue: number, test: SegmentTest = compareSegments): ChangePoint[] {
  const found: ChangePoint[] = [];
  for (;;) {
    let best: { index: number; qhat: number } | null = null;
    const local = found.map((c) => c.index - start);
    for (const [a, b] of intervals(local, end - start)) {
      if (b - a < 2) continue;
      const c = bestSplit(series, start + a, start + b);
      if (!best || c.qhat > best.qhat) best = c;
    }
    if (!best) break;
    const stats = statsAt(series.slice(start, end), best.index - start, local, Infinity, test);
    if (!(stats.pValue <= maxPValue)) break;
    found.push({ index: best.index, stats });
    found.sort((x, y) => x.index - y.index);
  }
  return found;
}

function firstPassPValue(p: number): number {
  return p < 0.05 ? p * 10 : p < 0.5 ? p * 2 : p;
}

function split(series: readonly number[], windowLen: number, maxPValue: number, test: SegmentTest): number[] {
  const step = Math.floor(windowLen / 2);
  const found = new Set<number>();
  let start = 0;
  while (start < series.length) {
    const end = Math.min(start + windowLen, series.length);
    const cps = divisive(series, start, end, maxPValue, test);
    for (const c of cps) found.add(c.index);
    const last = cps.length > 0 ? cps[cps.length - 1]!.index : 0;
    start = Math.max(last, start + step);
  }
  return [...found].sort((a, b) => a - b);
}

function merge(series: readonly number[], weak: number[], maxPValue: number, minMagnitude: number, maxSegment: number, test: SegmentTest): ChangePoint[] {
  const cps = restate(series, weak, maxSegment, test);
  while (cps.length > 0) {
    // The weakest: the largest p-value; if all are significant, the smallest change.
    let weakest = cps.reduce((w, c) => (c.stats.pValue > w.stats.pValue ? c : w), cps[0]!);
    if (weakest.stats.pValue < maxPValue) {
      weakest = cps.reduce((w, c) => (changeMagnitude(c.stats) < changeMagnitude(w.stats) ? c : w), cps[0]!);
      if (changeMagnitude(weakest.stats) > minMagnitude) return cps;
    }
    const at = cps.indexOf(weakest);
    cps.splice(at, 1);
    // Removing a point changes the pieces of its neighbours. Otava recomputes the points at
    // positions `at` and `at + 1` after the removal (the right neighbour and the one after it,
    // not the left one); we do the same so that both give the same answers.
    const idx = cps.map((c) => c.index);
    for (const k of [at, at + 1]) if (k >= 0 && k < cps.length) cps[k] = { index: cps[k]!.index, stats: statsAt(series, cps[k]!.index, idx, maxSegment, test) };
  }
  return cps;
}

/** Each change point's t-test against the pieces either side of it (indexes sorted). */
export function restate(series: readonly number[], indexes: readonly number[], maxSegment = Infinity, test: SegmentTest = compareSegments): ChangePoint[] {
  return indexes.map((index) => ({ index, stats: statsAt(series, index, indexes, maxSegment, test) }));
}

/**
 * Drops, one at a time and restating the rest after each, points with a side shorter than
 * minSegment, then points whose change is below minAbsChange or minMagnitude, then those no
 * longer significant; then merges points closer than mergeWithin (see the option).
 */
function enforceLimits(
  series: readonly number[],
  cps: ChangePoint[],
  minSegment: number,
  minAbsChange: number,
  minMagnitude: number,
  maxPValue: number,
  maxSegment: number,
  mergeWithin: number,
  test: SegmentTest,
): ChangePoint[] {
  const side = (c: ChangePoint) => Math.min(c.stats.nBefore, c.stats.nAfter);
  const delta = (c: ChangePoint) => Math.abs(c.stats.meanAfter - c.stats.meanBefore);
  const tooSmall = (s: SegmentStats) => Math.abs(s.meanAfter - s.meanBefore) < minAbsChange || changeMagnitude(s) < minMagnitude;
  const rules: Array<[(c: ChangePoint) => boolean, (c: ChangePoint) => number]> = [
    [(c) => side(c) < minSegment, (c) => -side(c)],
    [(c) => tooSmall(c.stats), (c) => -delta(c)],
    [(c) => !(c.stats.pValue <= maxPValue), (c) => c.stats.pValue],
  ];
  // Otava's merge leaves a point's statistics stale when a neighbour left (see merge()): judge
  // every point on its actual neighbours.
  cps = restate(
    series,
    cps.map((c) => c.index),
    maxSegment,
    test,
  );
  const without = (drop: ChangePoint) =>
    restate(
      series,
      cps.filter((c) => c !== drop).map((c) => c.index),
      maxSegment,
      test,
    );
  // The strongest evidence left after a removal: the smallest p-value of the remaining points.
  const bestP = (left: ChangePoint[]) => left.reduce((m, c) => Math.min(m, c.stats.pValue), 1);
  for (;;) {
    const rule = rules.find(([bad]) => cps.some(bad));
    if (!rule) {
      const k = cps.findIndex((c, i) => i + 1 < cps.length && cps[i + 1]!.index - c.index <= mergeWithin);
      if (k < 0) return cps;
      const [a, b] = [cps[k]!, cps[k + 1]!];
      const outer = test(series.slice(a.index - a.stats.nBefore, a.index), series.slice(b.index, b.index + b.stats.nAfter));
      const transient = tooSmall(outer) || !(outer.pValue <= maxPValue);
      cps = restate(
        series,
        cps.filter((c) => c !== b && (c !== a || !transient)).map((c) => c.index),
        maxSegment,
        test,
      );
      continue;
    }
    const [bad, badness] = rule;
    const offenders = cps.filter(bad);
    const worstBadness = Math.max(...offenders.map(badness));
    const tied = offenders.filter((c) => badness(c) === worstBadness);
    // Two points around a short piece (an outlier at the start of a new level) are equally bad:
    // drop the one whose removal leaves the stronger change, not simply the first.
    let next = without(tied[0]!);
    for (const c of tied.slice(1)) {
      const alt = without(c);
      if (bestP(alt) < bestP(next)) next = alt;
    }
    cps = next;
  }
}

/** Change points of a whole series, oldest first. Values must be finite numbers. */
export function changePoints(series: readonly number[], options: ChangePointOptions = {}): ChangePoint[] {
  const maxPValue = options.maxPValue ?? 0.001;
  const minMagnitude = options.minMagnitude ?? 0;
  const windowLen = options.windowLen ?? 50;
  if (!(windowLen >= 2)) throw new RangeError(`change points: window length must be at least 2, got ${windowLen}`);
  if (!(maxPValue > 0 && maxPValue <= 1)) throw new RangeError(`change points: max p-value must be in (0, 1], got ${maxPValue}`);
  for (const v of series) if (!Number.isFinite(v)) throw new RangeError(`change points: series holds a non-finite value (${v})`);
  const minSegment = options.minSegment ?? 1;
  const minAbsChange = options.minAbsChange ?? 0;
  const maxSegment = options.maxSegment ?? Infinity;
  if (!(maxSegment >= 1)) throw new RangeError(`change points: max segment must be at least 1, got ${maxSegment}`);
  const mergeWithin = options.mergeWithin ?? 0;
  const rho = options.autocorrelation;
  const test: SegmentTest = rho === undefined ? compareSegments : (l, r) => compareSegmentsAR(l, r, rho);
  const weak = split(series, windowLen, firstPassPValue(maxPValue), test);
  const cps = merge(series, weak, maxPValue, minMagnitude, maxSegment, test);
  const limited = minSegment > 1 || minAbsChange > 0 || maxSegment < Infinity || mergeWithin > 0 || rho !== undefined;
  return limited ? enforceLimits(series, cps, minSegment, minAbsChange, minMagnitude, maxPValue, maxSegment, mergeWithin, test) : cps;
}
