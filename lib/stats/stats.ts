// Descriptive statistics, Student's t distribution, Welch's t-test and a confidence
// interval for the ratio of two means. Written out here (no dependency) so that every
// number the collector stores can be traced to a formula in docs/overhead.md.

import { quantizationVariance } from './resolution.js';

export class StatsError extends Error {
  override name = 'StatsError';
}

function requireFinite(values: readonly number[], what: string, min = 1): void {
  if (values.length < min) throw new StatsError(`${what}: needs at least ${min} value(s), got ${values.length}`);
  for (const v of values) if (!Number.isFinite(v)) throw new StatsError(`${what}: value ${v} is not a finite number`);
}

export function mean(values: readonly number[]): number {
  requireFinite(values, 'mean');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Up to this many values, median sorts a plain copy by insertion: no typed array to allocate. */
const SMALL_MEDIAN = 32;

export function median(values: readonly number[]): number {
  requireFinite(values, 'median');
  // The comparison engine takes medians of a few runs' values tens of thousands of times in a
  // baseline run's recompute (findStep, the MAD): a typed array per call was most of its garbage
  // (issue 26). A stable insertion sort by < orders as sorting by a − b does, zeros' signs included.
  if (values.length <= SMALL_MEDIAN) return middleOf(insertionSorted(values));
  // The middle of a Float64Array copy by selection, not a sort: the change detector takes medians
  // of every whole series several times (issue 26). The k-th smallest value is one number whatever
  // the method; only ±0 can differ, so a zero median is taken from the sort by a − b.
  const m = middleBySelection(Float64Array.from(values));
  return m === 0 ? middleOf([...values].sort((a, b) => a - b)) : m;
}

/** The middle value of `a` (or the mean of the two middle ones), reordering it: quickselect (Hoare's partition). */
function middleBySelection(a: Float64Array): number {
  const n = a.length;
  const k = n >> 1;
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    // [lo, j] ≤ pivot ≤ [i, hi], and what lies between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  if (n % 2) return a[k]!;
  // Everything before k is at most a[k]: the other middle value is the largest of them.
  let below = a[0]!;
  for (let x = 1; x < k; x++) if (a[x]! > below) below = a[x]!;
  return (below + a[k]!) / 2;
}

/** A sorted copy; equal values (−0 and +0 among them) keep their order, as Array.prototype.sort's. */
function insertionSorted(values: readonly number[]): number[] {
  const out = values.slice();
  for (let i = 1; i < out.length; i++) {
    const x = out[i]!;
    let j = i - 1;
    for (; j >= 0 && out[j]! > x; j--) out[j + 1] = out[j]!;
    out[j + 1] = x;
  }
  return out;
}

/** The middle value of sorted values, or the mean of the two middle ones. */
function middleOf(sorted: ArrayLike<number>): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sample variance (n − 1 in the denominator). */
export function variance(values: readonly number[]): number {
  requireFinite(values, 'variance', 2);
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return ss / (values.length - 1);
}

/** Sample standard deviation (n − 1 in the denominator). */
export function stddev(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

/** Relative standard deviation: sample standard deviation / |mean| (0.035 = 3.5 %). */
export function rsd(values: readonly number[]): number {
  const m = mean(values);
  if (m === 0) throw new StatsError('rsd: the mean is 0, the relative standard deviation is undefined');
  return stddev(values) / Math.abs(m);
}

// ---- Student's t distribution ------------------------------------------------------

// Lanczos approximation (g = 7, 9 coefficients), accurate to ~1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

// Continued fraction for the incomplete beta function (modified Lentz's method).
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) return h;
  }
  throw new StatsError(`incomplete beta: continued fraction did not converge (x=${x}, a=${a}, b=${b})`);
}

/** log Γ(a + b) − log Γ(a) − log Γ(b): the part of I_x(a, b)'s front that does not depend on x. */
function lnBetaPart(a: number, b: number): number {
  return logGamma(a + b) - logGamma(a) - logGamma(b);
}

/** Regularized incomplete beta function I_x(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new StatsError(`incomplete beta: a and b must be > 0 (a=${a}, b=${b})`);
  if (!(x >= 0 && x <= 1)) throw new StatsError(`incomplete beta: x must be in [0, 1], got ${x}`);
  return incompleteBeta(x, a, b, lnBetaPart(a, b));
}

/** I_x(a, b) with lnBetaPart(a, b) given (computed once for many x: tQuantile's bisection). */
function incompleteBeta(x: number, a: number, b: number, lnB: number): number {
  if (x === 0 || x === 1) return x;
  // The same sum in the same order as log Γ(a + b) − log Γ(a) − log Γ(b) + a·log x + b·log(1 − x): the same bits.
  const lnFront = lnB + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function requireDf(df: number): void {
  if (!(df > 0)) throw new StatsError(`t distribution: degrees of freedom must be > 0, got ${df}`);
}

/** Two-sided tail P(|T| ≥ |t|) for Student's t with df degrees of freedom. */
export function tTwoSidedP(t: number, df: number): number {
  requireDf(df);
  if (Number.isNaN(t)) throw new StatsError('t distribution: t is NaN');
  if (!Number.isFinite(t)) return 0;
  return twoSided(t, df, lnBetaPart(df / 2, 0.5));
}

/** P(|T| ≥ |t|) for a finite t, lnB = lnBetaPart(df / 2, 1/2). */
function twoSided(t: number, df: number, lnB: number): number {
  // P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2): direct, so tiny p-values keep their precision.
  const x = df / (df + t * t);
  if (!(x >= 0 && x <= 1)) throw new StatsError(`incomplete beta: x must be in [0, 1], got ${x}`);
  return incompleteBeta(x, df / 2, 0.5, lnB);
}

/** The CDF at t from P(|T| ≥ |t|). */
function cdfOfTail(t: number, twoSidedP: number): number {
  const tail = twoSidedP / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** CDF of Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  return cdfOfTail(t, tTwoSidedP(t, df));
}

/**
 * Quantiles already found, by p then df (a report asks for the same few levels at the same df
 * again and again: 1 800 calls, 1 200 different, on a year of 200 guests). Bounded for the
 * collector, which runs for months: emptied when it holds QUANTILE_CACHE_MAX.
 */
const quantiles = new Map<number, Map<number, number>>();
let quantilesHeld = 0;
const QUANTILE_CACHE_MAX = 10_000;

/** Quantile of Student's t: the t with tCdf(t, df) = p. Bisection on the monotone CDF. */
export function tQuantile(p: number, df: number): number {
  requireDf(df);
  if (!(p > 0 && p < 1)) throw new StatsError(`t quantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  const known = quantiles.get(p)?.get(df);
  if (known !== undefined) return known;
  const q = bisectQuantile(p, df);
  if (quantilesHeld >= QUANTILE_CACHE_MAX) {
    quantiles.clear();
    quantilesHeld = 0;
  }
  const byDf = quantiles.get(p) ?? quantiles.set(p, new Map()).get(p)!;
  byDf.set(df, q);
  quantilesHeld++;
  return q;
}

/** tQuantile's answer, found by bisection (tCdf's arithmetic, its x-free part computed once). */
function bisectQuantile(p: number, df: number): number {
  const lnB = lnBetaPart(df / 2, 0.5);
  const cdf = (t: number) => cdfOfTail(t, twoSided(t, df, lnB));
  let lo = 0;
  let hi = 1;
  while (cdf(hi) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) throw new StatsError(`t quantile: no finite quantile for p=${p}, df=${df}`);
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---- Confidence intervals and tests ----------------------------------------------------

export interface MeanCi {
  n: number;
  mean: number;
  stddev: number;
  /** Half width of the interval: t(1 − α/2, n − 1) · s / √n. */
  halfWidth: number;
  low: number;
  high: number;
  level: number;
}

/** Confidence interval of a mean from Student's t (needs n ≥ 2). */
export function meanCi(values: readonly number[], level = 0.95): MeanCi {
  requireFinite(values, 'meanCi', 2);
  if (!(level > 0 && level < 1)) throw new StatsError(`meanCi: level must be in (0, 1), got ${level}`);
  const n = values.length;
  const m = mean(values);
  const s = stddev(values);
  const halfWidth = tQuantile(1 - (1 - level) / 2, n - 1) * (s / Math.sqrt(n));
  return { n, mean: m, stddev: s, halfWidth, low: m - halfWidth, high: m + halfWidth, level };
}

/** Welch–Satterthwaite degrees of freedom for two variance terms v = s²/n. */
export function welchDf(va: number, na: number, vb: number, nb: number): number {
  const den = (va * va) / (na - 1) + (vb * vb) / (nb - 1);
  if (den === 0) return Infinity; // both samples constant: no sampling uncertainty left
  return (va + vb) ** 2 / den;
}

export interface WelchResult {
  meanA: number;
  meanB: number;
  /** meanA − meanB */
  diff: number;
  se: number;
  t: number;
  df: number;
  /** Two-sided p-value of H0: the two means are equal. */
  p: number;
  /** Confidence interval of meanA − meanB. */
  low: number;
  high: number;
  level: number;
}

/** Welch's unequal-variances t-test of a against b (each n ≥ 2). */
export function welchTTest(a: readonly number[], b: readonly number[], level = 0.95): WelchResult {
  requireFinite(a, 'welchTTest (first sample)', 2);
  requireFinite(b, 'welchTTest (second sample)', 2);
  const meanA = mean(a);
  const meanB = mean(b);
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const se = Math.sqrt(va + vb);
  const diff = meanA - meanB;
  const df = welchDf(va, a.length, vb, b.length);
  if (se === 0) {
    // Both samples constant: the difference is exact.
    const p = diff === 0 ? 1 : 0;
    return { meanA, meanB, diff, se, t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df, p, low: diff, high: diff, level };
  }
  const t = diff / se;
  // se > 0 means at least one variance term is > 0, so df is finite.
  const q = tQuantile(1 - (1 - level) / 2, df);
  const p = tTwoSidedP(t, df);
  return { meanA, meanB, diff, se, t, df, p, low: diff - q * se, high: diff + q * se, level };
}

export interface RatioCi {
  /** meanA / meanB */
  ratio: number;
  low: number;
  high: number;
  /** Standard error of log(ratio) and its Welch–Satterthwaite df: other levels are ratio·e^(±t(df)·se). */
  se: number;
  df: number;
  level: number;
}

/**
 * Confidence interval of meanA / meanB by the delta method on the log scale:
 * log(ā/b̄) ± t(df) · √(v_a + v_b), v = (s² + Δ²/12)/(n·mean²) with Δ the printing step of that
 * sample (0 when unknown), df by Welch–Satterthwaite on the same two terms, then exponentiated.
 * Needs n ≥ 2 on both sides and both means > 0 (every metric we take a ratio of is a positive
 * rate, time or count). See docs/overhead.md.
 */
export function ratioCi(a: readonly number[], b: readonly number[], level = 0.95, steps: { a?: number; b?: number } = {}): RatioCi {
  requireFinite(a, 'ratioCi (numerator sample)', 2);
  requireFinite(b, 'ratioCi (denominator sample)', 2);
  const ma = mean(a);
  const mb = mean(b);
  if (!(ma > 0) || !(mb > 0)) throw new StatsError(`ratioCi: both means must be > 0 (got ${ma} and ${mb})`);
  const ra = (variance(a) + quantizationVariance(steps.a ?? 0)) / (a.length * ma * ma);
  const rb = (variance(b) + quantizationVariance(steps.b ?? 0)) / (b.length * mb * mb);
  const ratio = ma / mb;
  const df = welchDf(ra, a.length, rb, b.length);
  const se = Math.sqrt(ra + rb);
  if (se === 0) return { ratio, low: ratio, high: ratio, se, df, level };
  const q = tQuantile(1 - (1 - level) / 2, df);
  return { ratio, low: ratio * Math.exp(-q * se), high: ratio * Math.exp(q * se), se, df, level };
}
