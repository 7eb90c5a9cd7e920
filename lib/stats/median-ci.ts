// A distribution-free confidence interval of a median from order statistics: the number of
// values below the true median is Binomial(n, 1/2), so [x(k), x(n−k+1)] (1-based, sorted) covers
// it with probability 1 − 2·P(B < k). No assumption about the shape, no resampling, no seed.

/** P(B ≤ j) for B ~ Binomial(n, 1/2). */
function binomialHalfCdf(j: number, n: number): number {
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = 0;
  for (let i = 0; i <= j; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

export interface MedianCi {
  low: number;
  high: number;
  /** The interval's exact coverage (≥ the level asked for). */
  coverage: number;
  /** 1-based ranks of the ends in the sorted values. */
  ranks: [number, number];
}

/** The interval of the median with coverage ≥ level, or null when n is too small to reach it (n < 6 at 95 %). */
export function medianCi(values: readonly number[], level = 0.95): MedianCi | null {
  const n = values.length;
  const s = [...values].sort((a, b) => a - b);
  let best: MedianCi | null = null;
  // The largest k (narrowest interval) whose coverage still reaches the level.
  for (let k = 1; k <= Math.floor((n + 1) / 2); k++) {
    const coverage = 1 - 2 * binomialHalfCdf(k - 1, n);
    if (coverage < level) break;
    best = { low: s[k - 1]!, high: s[n - k]!, coverage, ranks: [k, n - k + 1] };
  }
  return best;
}
