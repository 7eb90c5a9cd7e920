// E-divisive means (Matteson & James 2014): the split of a series that maximises the energy
// distance Q̂ between the part before and the part after. Pure math, no I/O.
//
// For X = s[start:τ] (n values) and Y = s[τ:κ] (m values):
//   Q̂(τ, κ) = 2/(m+n)·Σ|X−Y| − 2m/((m+n)(n−1))·Σ_{i<k}|Xi−Xk| − 2n/((m+n)(m−1))·Σ_{j<k}|Yj−Yk|
// (a within-term with a single value counts 0). The candidate is the τ of the largest Q̂ over all
// start < τ < κ ≤ end. Running sums make one interval O(w²) instead of O(w⁴).

/** The best split of one interval: `index` is the first value of the part after. */
export interface Candidate {
  index: number;
  qhat: number;
}

/** bestSplit's working matrix, grown to the largest interval seen (a window: 50 × 50 values). */
let scratch = new Float64Array(0);

/**
 * Best candidate in series[start:end] (end exclusive; needs end − start ≥ 2).
 * Ties go to the smallest τ (then κ), as in the reference implementation (Apache Otava), so both
 * pick the same index on flat data. (Otava's matrix also holds zeros for κ ≤ τ; they never win,
 * because Q̂(start+1, start+2) = |s[start] − s[start+1]| ≥ 0 comes first.)
 */
export function bestSplit(series: readonly number[], start: number, end: number): Candidate {
  const len = end - start;
  if (len < 2) throw new RangeError(`e-divisive: an interval needs at least 2 values, got ${len}`);
  // colSum[y][t − start] = Σ_{x=start}^{t−1} |s[x] − s[y]|, for y in [start, end), t in [start, y]:
  // row y − start of one scratch matrix reused across calls (a year of series calls this tens of
  // thousands of times; one array per row was most of its allocation). Same sums, same order.
  if (scratch.length < len * len) scratch = new Float64Array(len * len);
  const colSum = scratch;
  for (let y = start; y < end; y++) {
    const row = (y - start) * len;
    colSum[row] = 0;
    let acc = 0;
    for (let x = start; x < y; x++) {
      acc += Math.abs(series[x]! - series[y]!);
      colSum[row + x - start + 1] = acc;
    }
  }
  const col = (y: number, t: number) => colSum[(y - start) * len + t - start]!;

  let best: Candidate = { index: start + 1, qhat: -Infinity };
  let withinX = 0; // Σ pairs inside s[start:τ]
  for (let tau = start + 1; tau < end; tau++) {
    withinX += col(tau - 1, tau - 1);
    const n = tau - start;
    let cross = 0; // Σ |X − Y| for Y = s[τ:κ]
    let withinY = 0;
    for (let kappa = tau + 1; kappa <= end; kappa++) {
      const y = kappa - 1;
      cross += col(y, tau);
      withinY += col(y, y) - col(y, tau);
      const m = kappa - tau;
      const a = (2 / (m + n)) * cross;
      const b = n > 1 ? ((2 * m) / ((m + n) * (n - 1))) * withinX : 0;
      const c = m > 1 ? ((2 * n) / ((m + n) * (m - 1))) * withinY : 0;
      const q = a - b - c;
      if (q > best.qhat) best = { index: tau, qhat: q };
    }
  }
  return best;
}
