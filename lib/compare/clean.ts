// Which runs of a series speak for it: a step inside the series cuts it (the segment holding the
// run nearest the comparison is kept), then a run far from the others (a noisy neighbour, a
// throttled boot) is left out as disturbed. Both rules are robust — medians and the median
// absolute deviation — so the run they judge cannot hide itself by inflating the scale; and the
// scale never falls below what the prior says runs differ by, so two runs that happen to agree
// closely do not make every third run look disturbed.
import { median } from '../stats/stats.js';
import { robustSd } from '../stats/robust.js';
import { distanceNs, type RunMean } from './runs.js';

/** A run further than this many robust SDs from the median of its segment is disturbed. */
export const OUTLIER_Z = 4;
/** A split whose medians differ by more than this many SDs of that difference is a step. */
export const STEP_Z = 5;
/** Each side of a step needs this many runs: a median of two is a mean, one run could fake it. */
export const STEP_MIN_RUNS = 3;
/** Efficiency of the MAD for normal data (0.37): its estimate is worth about this share of n − 1 degrees of freedom. */
const MAD_EFFICIENCY = 0.37;
/** SD of a median of n normal values is about √(π/2)·σ/√n. */
const MEDIAN_SD = Math.sqrt(Math.PI / 2);

export interface ExcludedRun {
  runId: string;
  startNs: bigint;
  /** `disturbed`: far from the others; `flagged`: most of its trials judged disturbed by its agent; `step`: across a step. */
  why: 'disturbed' | 'flagged' | 'step';
  /** How far the run lies from the kept runs' median, in percent of it. */
  offPct: number;
}

export interface Cleaned {
  kept: RunMean[];
  /**
   * The kept runs plus the disturbed ones pulled in to the rule's limit (median ± OUTLIER_Z
   * robust SDs), time order: what the spread is learned from. A run left out of the value still
   * counts toward the spread as "at least this far off": with three runs on a noisy host the rule
   * cannot tell a disturbed run from a normal one, and dropping it would understate the spread.
   */
  forSpread: RunMean[];
  excluded: ExcludedRun[];
  /** The step that cut the series (the first run after it and its size, later over earlier, in percent). */
  step: { atNs: bigint; sizePct: number } | null;
}

/**
 * A robust SD of one run's mean from `logs`, moderated by a floor worth `floorDf` degrees of
 * freedom (the prior): (ν₀·floor² + ν·robustSd²)/(ν₀ + ν), ν = 0.37·(k − 1).
 */
export function moderatedScale(logs: readonly number[], floor: number, floorDf: number): number {
  if (logs.length < 2) return floor;
  const df = MAD_EFFICIENCY * (logs.length - 1);
  const sd = robustSd(logs);
  return Math.sqrt((floorDf * floor * floor + df * sd * sd) / (floorDf + df));
}

const pctOff = (log: number, ref: number) => (Math.exp(log - ref) - 1) * 100;

/**
 * The step: the split (each side ≥ STEP_MIN_RUNS) that fits two medians best — least absolute
 * deviations, so a run just beside the step is put on its own side — if its medians differ by
 * more than STEP_Z standard deviations of that difference. Null when there is none (exported for its test).
 */
export function findStep(runs: readonly RunMean[], floor: number, floorDf: number): number | null {
  const logs = runs.map((r) => r.log);
  let best: { at: number; cost: number } | null = null;
  for (let at = STEP_MIN_RUNS; at <= runs.length - STEP_MIN_RUNS; at++) {
    const left = logs.slice(0, at);
    const right = logs.slice(at);
    const ml = median(left);
    const mr = median(right);
    // The residuals summed in their order (left, then right), as stepZ lists them.
    let cost = 0;
    for (const x of left) cost += Math.abs(x - ml);
    for (const x of right) cost += Math.abs(x - mr);
    if (!best || cost < best.cost) best = { at, cost };
  }
  // Only the best split's z decides: its scale (two more sorts of every run) is taken for it
  // alone, not for each split (half of a year's report's comparisons, issue 26).
  return best && stepZ(logs, best.at, floor, floorDf) > STEP_Z ? best.at : null;
}

/** How many SDs of their difference apart the medians of logs[0, at) and logs[at, …) are. */
function stepZ(logs: readonly number[], at: number, floor: number, floorDf: number): number {
  const left = logs.slice(0, at);
  const right = logs.slice(at);
  const ml = median(left);
  const mr = median(right);
  const residuals = [...left.map((x) => x - ml), ...right.map((x) => x - mr)];
  const scale = moderatedScale(residuals, floor, floorDf);
  return Math.abs(ml - mr) / (MEDIAN_SD * scale * Math.sqrt(1 / left.length + 1 / right.length));
}

/**
 * Cleans `runs` (time order, every mean > 0): cuts at steps, keeping the segment that holds the
 * run nearest `nearNs`, then leaves out runs more than OUTLIER_Z robust SDs from the segment's
 * median. `floor` is the smallest SD of a run mean the rules assume (from the prior), worth `floorDf`.
 */
export function cleanRuns(runs: readonly RunMean[], nearNs: bigint, floor: number, floorDf: number): Cleaned {
  let kept = [...runs];
  const excluded: ExcludedRun[] = [];
  let step: Cleaned['step'] = null;
  for (let at = findStep(kept, floor, floorDf); at !== null; at = findStep(kept, floor, floorDf)) {
    const nearest = kept.reduce((b, r, i) => (distanceNs(r.startNs, nearNs) < distanceNs(kept[b]!.startNs, nearNs) ? i : b), 0);
    const [before, after] = [kept.slice(0, at), kept.slice(at)];
    const [keep, drop] = nearest < at ? [before, after] : [after, before];
    const ref = median(keep.map((r) => r.log));
    if (!step) step = { atNs: after[0]!.startNs, sizePct: pctOff(median(after.map((r) => r.log)), median(before.map((r) => r.log))) };
    for (const r of drop) excluded.push({ runId: r.runId, startNs: r.startNs, why: 'step', offPct: pctOff(r.log, ref) });
    kept = keep;
  }
  let forSpread = kept;
  if (kept.length >= 3) {
    const logs = kept.map((r) => r.log);
    const mid = median(logs);
    const limit = OUTLIER_Z * moderatedScale(logs, floor, floorDf);
    const far = (r: RunMean) => Math.abs(r.log - mid) > limit;
    for (const r of kept.filter(far)) excluded.push({ runId: r.runId, startNs: r.startNs, why: 'disturbed', offPct: pctOff(r.log, mid) });
    forSpread = kept.map((r) => (far(r) ? { ...r, log: mid + Math.sign(r.log - mid) * limit } : r));
    kept = kept.filter((r) => !far(r));
  }
  return { kept, forSpread, excluded, step };
}
