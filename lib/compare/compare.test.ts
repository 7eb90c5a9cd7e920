// The comparison engine against an independent implementation: lib/compare/reference.py writes
// the same definitions out with numpy/scipy and checks them against scipy's Welch test on log run
// means and statsmodels' REML mixed model; its output is frozen in reference.json, read here.
// Regenerate: /usr/bin/python3 lib/compare/reference.py (Debian's python3-scipy, python3-statsmodels).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns, comparePairs, type Comparison } from './compare.js';
import { learnSpread } from './spread.js';
import { runMean, type RunValues } from './runs.js';

interface RefRun {
  id: string;
  t: number;
  values: number[];
  step: number;
}
interface RefCase {
  candidate: { runs: RefRun[]; history?: RefRun[] };
  reference: { runs: RefRun[] };
  direction: 'higher' | 'lower';
  margin: number;
  prior_df: number;
}
interface Expected {
  verdict: string;
  overhead: number;
  low: number;
  high: number;
  df: number;
  p: number | null;
  noise_floor: number;
  rounding: number;
  excluded: string[];
  runs_reference: number;
  guest_run_sd_pct: number;
  baseline_run_sd_pct: number;
}
const REF = JSON.parse(readFileSync(join(import.meta.dirname, 'reference.json'), 'utf8')) as Record<string, any>;

const NAMES = { candidate: 'guest', reference: 'baseline' };
const toRun = (r: RefRun): RunValues => ({ runId: r.id, startNs: BigInt(r.t), values: r.values, step: r.step });

function run(name: string): { c: Comparison; e: Expected } {
  const { case: k, expected: e } = REF[name] as { case: RefCase; expected: Expected };
  const candidate = k.candidate.history
    ? { runs: k.candidate.runs.map(toRun), history: k.candidate.history.map(toRun) }
    : { runs: k.candidate.runs.map(toRun) };
  const near = BigInt(k.candidate.runs[0]!.t);
  const c = compareRuns(candidate, { runs: k.reference.runs.map(toRun) }, near, {
    direction: k.direction,
    marginPct: k.margin,
    priorDf: k.prior_df,
    names: NAMES,
  });
  return { c, e };
}

function matches(c: Comparison, e: Expected): void {
  expect(c.verdict).toBe(e.verdict);
  expect(c.overheadPct).toBeCloseTo(e.overhead, 9);
  expect(c.overheadLowPct).toBeCloseTo(e.low, 7);
  expect(c.overheadHighPct).toBeCloseTo(e.high, 7);
  if (e.df < 1e6) expect(c.df).toBeCloseTo(e.df, 7);
  if (e.p === null) expect(c.p).toBeNull();
  else expect(c.p).toBeCloseTo(e.p, 9);
  expect(c.noiseFloorPct).toBeCloseTo(e.noise_floor, 9);
  expect(c.roundingPct).toBeCloseTo(e.rounding, 9);
  expect(c.excluded.map((x) => x.runId)).toEqual(e.excluded);
  expect(c.runsReference).toBe(e.runs_reference);
  expect(c.candidateRunSdPct).toBeCloseTo(e.guest_run_sd_pct, 9);
  expect(c.referenceRunSdPct).toBeCloseTo(e.baseline_run_sd_pct, 9);
}

describe('the run as the unit, checked against scipy and statsmodels (reference.json)', () => {
  it('no prior: B against A is Welch on log run means (scipy ttest_ind: same t, df, p)', () => {
    const { c, e } = run('run_means_welch');
    matches(c, e);
    const w = REF.run_means_welch.scipy_welch as { t: number; p: number; df: number; log_ratio: number; se: number };
    expect(c.df).toBeCloseTo(w.df, 9);
    expect(c.p).toBeCloseTo(w.p, 9);
    expect(Math.log(c.ratio!)).toBeCloseTo(w.log_ratio, 12);
    // 4 runs of B at ~1059 against 5 of A at ~1008: B does 4.8 % more events/s, interval within [−7, −2.7] %.
    expect(c.runsCandidate).toBe(4);
    expect(c.runsReference).toBe(5);
  });
  it('the prior τ₀ = 2 % (one degree of freedom) moderates each side: a wider interval, more df', () => {
    const { c, e } = run('run_means_prior');
    matches(c, e);
    const { c: bare } = run('run_means_welch');
    expect(c.overheadHighPct! - c.overheadLowPct!).toBeGreaterThan(bare.overheadHighPct! - bare.overheadLowPct!);
  });
  it('one disturbed baseline run (1000, 1003, 700) is left out and named; a guest 20 % slower is worse, not equivalent', () => {
    const { c, e } = run('disturbed_baseline');
    matches(c, e);
    expect(c.verdict).toBe('worse');
    expect(c.reason).toMatch(/baseline run b3 left out as disturbed \(−30\.\d %/);
    // What the report prints as JSON: plain data, no bigint.
    expect(JSON.parse(JSON.stringify(c)).excluded).toEqual([{ runId: 'b3', why: 'disturbed', offPct: expect.closeTo(-30.1, 0), side: 'reference' }]);
    // The reference is the two good runs: exp(mean of their log means).
    expect(c.referenceMean).toBeCloseTo(Math.sqrt(1000 * 1003), 6);
  });
  it('a noisy guest against a steady baseline: the guest’s own spread (2.5 %) sets the interval, so no false verdict', () => {
    const { c, e } = run('noisy_guest');
    matches(c, e);
    expect(c.verdict).not.toMatch(/worse|better/);
    expect(c.reason).toMatch(/^noise 5\.1\d* % exceeds the margin 3 %/);
  });
  it('latency 0.36 ms in 6 runs against 0.35 ms, every trial alike, margin 1 %: the rounding bound reaches 0, never worse', () => {
    const { c, e } = run('identical_rounded');
    matches(c, e);
    expect(c.overheadPct).toBeCloseTo((0.36 / 0.35 - 1) * 100, 9);
    expect(c.overheadLowPct).toBeLessThan(0);
    expect(c.p).toBeNull();
  });
  it('the same as one run against one run: the unmeasured run-to-run spread comes from the prior', () => {
    const { c, e } = run('identical_rounded_prior');
    matches(c, e);
    expect(c.reason).toMatch(/run-to-run spread from the prior alone/);
  });
  it('the run-to-run spread matches statsmodels REML on a balanced pool (method of moments, no prior)', () => {
    const m = REF.mixed_model as { runs: RefRun[]; tau2_reml: number; sigma2_reml: number };
    const s = learnSpread(
      m.runs.map((r) => runMean(toRun(r))!),
      0.02,
      0,
    );
    // Balanced one-way data: REML = ANOVA estimator (MSB − MSW)/n when positive; ours works on the
    // log of each run's mean with the delta-method trial variance, equal to second order in the CV.
    expect(s.rho).toBe(0);
    expect(Math.abs(s.tau2 - m.tau2_reml)).toBeLessThan(0.002 * m.tau2_reml);
  });
});

describe('hand-computed cases', () => {
  const r = (id: string, t: number, values: number[], step = 0.01): RunValues => ({ runId: id, startNs: BigInt(t), values, step });
  it('paired runs: the per-pair log ratios carry it, whatever the host did that hour cancels', () => {
    // Host speed swings ±10 % from pair to pair; B is exactly 5 % slower than A within each pair.
    const speeds = [1, 1.1, 0.9, 1.05, 0.95, 1.08];
    const pairs = speeds.map((s, i) => ({
      a: r(`a${i}`, i * 2, [1000 * s, 1000 * s, 1000 * s]),
      b: r(`b${i}`, i * 2 + 1, [952.38 * s, 952.38 * s, 952.38 * s]),
    }));
    const c = comparePairs(pairs, { direction: 'higher', marginPct: 3 });
    expect(c.paired).toBe(true);
    expect(c.overheadPct).toBeCloseTo((1000 / 952.38 - 1) * 100, 3);
    // Each pair's ratio is the same up to printing, so the spread is the prior's: worse, above +3 %.
    expect(c.verdict).toBe('worse');
    // Unpaired, the host's swings are noise: the same runs cannot say so.
    const u = compareRuns({ runs: pairs.map((p) => p.b) }, { runs: pairs.map((p) => p.a) }, 0n, { direction: 'higher', marginPct: 3 });
    expect(u.verdict).toBe('inconclusive');
  });
  it('a step in the baseline cuts it: the segment holding the run nearest the guest is kept', () => {
    const base = [1000, 1003, 998, 1001, 900, 902, 899, 901].map((m, i) => r(`b${i}`, i * 10, [m, m + 1, m - 1]));
    const guest = r('g', 35, [950, 951, 949]);
    // Nearest is b3 (t = 30): the 1000-level runs; the guest is 5 % slower than them.
    const c = compareRuns({ runs: [guest], history: [] }, { runs: base }, 35n, { direction: 'higher', marginPct: 3, names: NAMES });
    expect(c.referenceRunIds).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(c.reason).toMatch(/baseline runs changed by −10\.\d % at .*: 4 run\(s\) across the step left out/);
    expect(c.overheadPct).toBeGreaterThan(5);
    const after = compareRuns({ runs: [r('g2', 45, [950, 951, 949])], history: [] }, { runs: base }, 45n, { direction: 'higher', marginPct: 3 });
    expect(after.referenceRunIds).toEqual(['b4', 'b5', 'b6', 'b7']);
  });
  it('bad input gives a reason, never a precise-looking number', () => {
    // (default side names: 'compared side' and 'reference')
    expect(compareRuns({ runs: [r('g', 0, [1, 2])] }, { runs: [] }, 0n, { direction: 'higher', marginPct: 3 })).toMatchObject({
      verdict: 'unmeasurable',
      reason: 'no trials of this metric on the reference',
      ratio: null,
    });
    const zero = compareRuns({ runs: [r('g', 0, [0, 0])] }, { runs: [r('b', 0, [0, 0])] }, 0n, { direction: 'lower', marginPct: 3 });
    expect(zero).toMatchObject({ verdict: 'unmeasurable', ratio: null });
    const tiny = compareRuns({ runs: [r('g', 0, [0.05, 0.05])] }, { runs: [r('b', 0, [0.02, 0.02])] }, 0n, { direction: 'lower', marginPct: 3 });
    expect(tiny.verdict).toBe('unmeasurable');
    expect(tiny.reason).toMatch(/measured at resolution/);
    expect(() => compareRuns({ runs: [r('g', 0, [1, Number.NaN])] }, { runs: [r('b', 0, [1, 2])] }, 0n, { direction: 'higher', marginPct: 3 })).toThrow(
      /not a finite number/,
    );
    expect(() => compareRuns({ runs: [r('g', 0, [1, 2])] }, { runs: [r('b', 0, [1, 2])] }, 0n, { direction: 'higher', marginPct: -1 })).toThrow(/marginPct/);
  });
  it('a baseline of one run: its run-to-run spread is assumed (the prior), and the reason says so', () => {
    const c = compareRuns({ runs: [r('g', 10, [800, 801, 799])], history: [] }, { runs: [r('b', 0, [1000, 1001, 999])] }, 10n, {
      direction: 'higher',
      marginPct: 3,
      names: NAMES,
    });
    expect(c.reason).toMatch(/baseline run-to-run spread from the prior alone \(1 run\(s\); τ₀ 2 %\)/);
    expect(c.reason).toMatch(/guest run-to-run spread from the prior alone \(0 earlier run\(s\)/);
    expect(c.runsReference).toBe(1);
  });
  it('a host with 30 % steal: a guest run its agent judged disturbed is never worse, better or equivalent', () => {
    const base = [0, 1, 2, 3].map((i) => r(`b${i}`, i * 10, [1000, 1001, 999]));
    const history = [0, 1, 2].map((i) => r(`h${i}`, i * 10 + 5, [700, 701, 699]));
    const stolen = { ...r('g', 35, [700, 701, 699]), flagged: 3 };
    const c = compareRuns({ runs: [stolen], history }, { runs: base }, 35n, { direction: 'higher', marginPct: 3, names: NAMES });
    expect(c.verdict).toBe('inconclusive');
    expect(c.reason).toMatch(
      /^its agent judged 3 of 3 trials of this guest run disturbed \(steal or contention\): the run measured its neighbours, not the guest \(the interval alone said worse\)/,
    );
    expect(c.overheadLowPct).toBeGreaterThan(3); // the numbers stay, the verdict says what limits them
    // The same run unflagged is worse; a baseline run its agent flagged is left out and named.
    expect(compareRuns({ runs: [r('g', 35, [700, 701, 699])], history }, { runs: base }, 35n, { direction: 'higher', marginPct: 3 }).verdict).toBe('worse');
    const flaggedBase = [...base.slice(0, 3), { ...r('b3', 30, [1000, 1001, 999]), flagged: 2 }];
    const f = compareRuns({ runs: [r('g', 35, [1000, 1001, 999])], history: [] }, { runs: flaggedBase }, 35n, {
      direction: 'higher',
      marginPct: 3,
      names: NAMES,
    });
    expect(f.referenceRunIds).toEqual(['b0', 'b1', 'b2']);
    expect(f.reason).toMatch(/baseline run b3 left out: its agent judged most of its trials disturbed/);
  });
  it('a single run with nothing known about runs (no prior, no history) has no interval', () => {
    const c = compareRuns({ runs: [r('g', 0, [100, 101, 99])], history: [] }, { runs: [r('b', 0, [100, 101, 99])] }, 0n, {
      direction: 'higher',
      marginPct: 3,
      priorDf: 0,
    });
    expect(c.verdict).toBe('inconclusive');
    expect(c.overheadLowPct).toBeNull();
    expect(c.reason).toMatch(/nothing is known about how runs differ/);
  });
});
