// Drift told apart from steps. A slow drift (+20 % over 300 runs) is not a level shift, but
// E-divisive finds a staircase of same-direction change points in it. Here each run of
// consecutive change points in one direction (a "group", one point counts) is refitted as a
// ramp — level a, then a straight line over runs s..e, then level b — and model selection (BIC
// on the effective number of runs) decides between a fast change (the group's steps, or a ramp
// of at most `minRuns` runs) and a slow one (a longer ramp). Pure math.
import { tTwoSidedP } from '../stats/stats.js';
import type { ChangePoint } from './hunter.js';

export interface Ramp {
  /** The last value at the old level (w = 0); values after it move. */
  start: number;
  /** The first value at the new level (w = 1); may be the series length: still drifting. */
  end: number;
  /** Levels before and after (series units). */
  before: number;
  after: number;
  /** Residual sum of squares of the ramp model on the span. */
  sse: number;
}

export interface Drift {
  /** Indexes (into the change point list, sorted) of the first and last point the drift replaces. */
  first: number;
  last: number;
  /** The span [lo, hi) the models were compared on. */
  lo: number;
  hi: number;
  ramp: Ramp;
  /** Two-sided p of after ≠ before under the ramp model, variance inflated for autocorrelation. */
  pValue: number;
}

/** Prefix sums of 1, t, t², y, t·y, y² (t the index), so any stretch's sums cost O(1). */
class Sums {
  readonly t: Float64Array;
  readonly t2: Float64Array;
  readonly y: Float64Array;
  readonly ty: Float64Array;
  readonly y2: Float64Array;
  constructor(series: readonly number[]) {
    const n = series.length;
    this.t = new Float64Array(n + 1);
    this.t2 = new Float64Array(n + 1);
    this.y = new Float64Array(n + 1);
    this.ty = new Float64Array(n + 1);
    this.y2 = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const v = series[i]!;
      this.t[i + 1] = this.t[i]! + i;
      this.t2[i + 1] = this.t2[i]! + i * i;
      this.y[i + 1] = this.y[i]! + v;
      this.ty[i + 1] = this.ty[i]! + i * v;
      this.y2[i + 1] = this.y2[i]! + v * v;
    }
  }
  /** Σ over [a, b) of the array. */
  of(arr: Float64Array, a: number, b: number): number {
    return b > a ? arr[b]! - arr[a]! : 0;
  }
  /** Residual sum of squares of one constant level on [a, b). */
  flatSse(a: number, b: number): number {
    if (b - a < 1) return 0;
    const s = this.of(this.y, a, b);
    return this.of(this.y2, a, b) - (s * s) / (b - a);
  }
}

/** Residual sum of squares of the steps model: one level per piece of [lo, hi) cut at `cuts`. */
export function stepsSse(series: readonly number[], lo: number, hi: number, cuts: readonly number[]): number {
  const sums = new Sums(series);
  const edges = [lo, ...cuts, hi];
  let sse = 0;
  for (let i = 0; i + 1 < edges.length; i++) sse += sums.flatSse(edges[i]!, edges[i + 1]!);
  return sse;
}

/**
 * The least-squares ramp on [lo, hi) with its start in [sLo, sHi] and its end in [eLo, eHi],
 * minRuns ≤ end − start ≤ maxRuns. For given s, e the model y = a·(1 − w) + b·w is linear in (a, b) and
 * its normal equations need only sums over [lo, hi): O(1) per (s, e) with prefix sums. Long
 * ranges are searched coarse to fine (a grid of about 40 × 40, then every (s, e) within one
 * grid step of the best): the SSE is smooth in s and e, and a year-long series costs
 * milliseconds instead of the tens an exhaustive search takes. `exhaustive` searches every pair.
 */
export function fitRamp(
  series: readonly number[],
  lo: number,
  hi: number,
  sRange: [number, number],
  eRange: [number, number],
  minRuns: number,
  exhaustive = false,
  maxRuns = Infinity,
): Ramp | null {
  const sums = new Sums(series);
  const n = hi - lo;
  const sy = sums.of(sums.y, lo, hi);
  const syy = sums.of(sums.y2, lo, hi);
  const at = (s: number, e: number): Ramp | null => {
    const len = e - s;
    // The ramp's inside (s, e): w = (t − s)/len; from e on, w = 1.
    const a0 = s + 1;
    const cnt = e - a0;
    const st = sums.of(sums.t, a0, e);
    const st2 = sums.of(sums.t2, a0, e);
    const syIn = sums.of(sums.y, a0, e);
    const styIn = sums.of(sums.ty, a0, e);
    const tail = hi - e;
    const syTail = sums.of(sums.y, e, hi);
    const sw = (st - s * cnt) / len + tail;
    const sww = (st2 - 2 * s * st + s * s * cnt) / (len * len) + tail;
    const swy = (styIn - s * syIn) / len + syTail;
    const suu = n - 2 * sw + sww;
    const suw = sw - sww;
    const suy = sy - swy;
    const det = suu * sww - suw * suw;
    if (!(det > 1e-12)) return null;
    const a = (suy * sww - swy * suw) / det;
    const b = (swy * suu - suy * suw) / det;
    return { start: s, end: e, before: a, after: b, sse: syy - a * suy - b * swy };
  };
  const s0 = Math.max(lo, sRange[0]);
  const s1 = Math.min(hi - 1, sRange[1]);
  const e0 = eRange[0];
  const e1 = Math.min(hi, eRange[1]);
  let best: Ramp | null = null;
  const search = (sa: number, sb: number, ea: number, eb: number, step: number) => {
    for (let s = sa; s <= sb; s += step)
      for (let e = Math.max(s + minRuns, ea); e <= Math.min(eb, s + maxRuns); e += step) {
        const r = at(s, e);
        if (r && (!best || r.sse < best.sse)) best = r;
      }
  };
  const step = exhaustive ? 1 : Math.max(1, Math.floor(Math.max(s1 - s0, e1 - e0) / 40));
  search(s0, s1, e0, e1, step);
  if (step > 1 && best) {
    const b: Ramp = best;
    search(Math.max(s0, b.start - step), Math.min(s1, b.start + step), Math.max(e0, b.end - step), Math.min(e1, b.end + step), 1);
  }
  return best;
}

export interface DriftOptions {
  /** A ramp must last more than this many runs to be a drift (else it is a step). */
  minRuns: number;
  /** Lag-1 autocorrelation of the noise (autocorr.ts): fewer effective runs. */
  rho: number;
}

/**
 * Groups of consecutive same-direction change points that a ramp of more than `minRuns` runs
 * explains better than a fast change does. BIC with n_eff = n(1 − ρ)/(1 + ρ) runs: the fast
 * change is the better of the group's steps (2k + 1 parameters: k cuts, k + 1 levels) and a
 * ramp of at most `minRuns` runs (4: two levels, start, end — a change that took a few runs is
 * not a drift either); the slow one, a ramp of more runs, has 4 (3 while it is still going
 * at the newest run: its end is not a parameter then).
 */
export function findDrifts(series: readonly number[], cps: readonly ChangePoint[], o: DriftOptions): Drift[] {
  const sign = (c: ChangePoint) => Math.sign(c.stats.meanAfter - c.stats.meanBefore);
  const out: Drift[] = [];
  let i = 0;
  while (i < cps.length) {
    let j = i;
    while (j + 1 < cps.length && sign(cps[j + 1]!) === sign(cps[i]!)) j++;
    const lo = i > 0 ? cps[i - 1]!.index : 0;
    const hi = j + 1 < cps.length ? cps[j + 1]!.index : series.length;
    const first = cps[i]!.index;
    const last = cps[j]!.index;
    // s is the last value at the old level: at most the value before the first step; e the
    // first at the new level: at least the last step.
    const slow = fitRamp(series, lo, hi, [lo, first - 1], [last, hi], o.minRuns + 1);
    if (slow && slow.sse > 0) {
      const n = hi - lo;
      const nEff = Math.max(2, (n * (1 - o.rho)) / (1 + o.rho));
      const bic = (sse: number, params: number) => nEff * Math.log(sse) + params * Math.log(nEff);
      const k = j - i + 1;
      const steps = stepsSse(
        series,
        lo,
        hi,
        cps.slice(i, j + 1).map((c) => c.index),
      );
      const quick = fitRamp(series, lo, hi, [lo, first - 1], [last, hi], 1, true, o.minRuns);
      const fast = Math.min(bic(steps, 2 * k + 1), quick ? bic(Math.max(quick.sse, 1e-300), 4) : Infinity);
      // At the newest runs, "still drifting" (no end: one parameter fewer) unless a level after
      // the ramp pays for its end: a few runs of noise must not end a drift.
      let ramp = slow;
      if (hi === series.length && slow.end < hi) {
        const open = fitRamp(series, lo, hi, [lo, first - 1], [hi, hi], o.minRuns + 1);
        if (open && bic(Math.max(open.sse, 1e-300), 3) <= bic(slow.sse, 4)) ramp = open;
      }
      // A lone change point at the newest runs stays a step: a fresh step and the start of a drift
      // look alike until more runs arrive (and the step is the one to report at once); a drift
      // still going shows as a staircase of two or more.
      const freshStep = k === 1 && ramp.end >= hi;
      if (!freshStep && bic(ramp.sse, ramp.end < hi ? 4 : 3) < fast)
        out.push({ first: i, last: j, lo, hi, ramp, pValue: rampPValue(series, lo, hi, ramp, o.rho) });
    }
    i = j + 1;
  }
  return out;
}

/**
 * p of after − before = 0 in the ramp regression on [lo, hi): the contrast's variance from
 * (XᵀX)⁻¹·σ̂², σ̂² = SSE/(n − 4), inflated by (1 + ρ)/(1 − ρ) (a ramp spans many runs, where the
 * large-sample AR(1) factor holds); df from n_eff − 4.
 */
function rampPValue(series: readonly number[], lo: number, hi: number, r: Ramp, rho: number): number {
  let suu = 0;
  let suw = 0;
  let sww = 0;
  for (let t = lo; t < hi; t++) {
    const w = t <= r.start ? 0 : t >= r.end ? 1 : (t - r.start) / (r.end - r.start);
    suu += (1 - w) * (1 - w);
    suw += (1 - w) * w;
    sww += w * w;
  }
  const n = hi - lo;
  const det = suu * sww - suw * suw;
  // Var(b − a)/σ² = [1, −1]·(XᵀX)⁻¹·[1, −1]ᵀ.
  const contrast = (sww + suu + 2 * suw) / det;
  const inflate = (1 + rho) / (1 - rho);
  const sigma2 = r.sse / Math.max(1, n - 4);
  const se = Math.sqrt(sigma2 * contrast * inflate);
  const df = Math.max(1, (n * (1 - rho)) / (1 + rho) - 4);
  return se > 0 ? tTwoSidedP((r.after - r.before) / se, df) : r.after === r.before ? 1 : 0;
}
