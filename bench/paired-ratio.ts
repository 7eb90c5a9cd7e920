// The verdict of a "ratio ≥ goal" benchmark goal from paired runs (A and B alternated on the same
// machine): one ratio per pair, their median, and the distribution-free interval of that median
// (lib/stats/median-ci.ts: order statistics, no assumption about the noise's shape). Decided
// against the interval, not the point estimate: on a shared 2-core machine one pair's ratio swings
// by ±15 %, so a single ratio near the goal says nothing either way.
import { median, medianCi } from '../lib/stats/index.js';

export type Verdict = 'met' | 'not met' | 'not shown';

export interface PairedRatio {
  /** numerator / denominator of each pair, in the order run. */
  ratios: number[];
  median: number;
  /** The interval of the median (coverage ≥ level), or null when there are too few pairs to reach it. */
  low: number | null;
  high: number | null;
  coverage: number | null;
  /** 1-based ranks of the interval's ends among the sorted ratios, or null with the interval. */
  ranks: [number, number] | null;
  verdict: Verdict;
}

/**
 * Met when the whole interval is at or above the goal, not met when it is wholly below,
 * otherwise not shown (too few pairs or too much noise to say). Too few pairs for an
 * interval at `level`: not shown.
 */
export function pairedRatio(pairs: ReadonlyArray<{ num: number; den: number }>, goal: number, level = 0.95): PairedRatio {
  if (pairs.length === 0) throw new Error('pairedRatio: no pairs');
  const ratios = pairs.map(({ num, den }) => {
    if (!(den > 0) || !(num >= 0)) throw new Error(`pairedRatio: a pair of ${num} / ${den} has no ratio`);
    return num / den;
  });
  const ci = medianCi(ratios, level);
  const verdict: Verdict = !ci ? 'not shown' : ci.low >= goal ? 'met' : ci.high < goal ? 'not met' : 'not shown';
  return { ratios, median: median(ratios), low: ci?.low ?? null, high: ci?.high ?? null, coverage: ci?.coverage ?? null, ranks: ci?.ranks ?? null, verdict };
}
