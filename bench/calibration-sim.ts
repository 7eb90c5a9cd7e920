// The simulated half of the calibration (issue 22 item 8): hierarchical noise as real hosts
// have it — trial noise σ inside a run, a run-to-run spread τ between runs (a reboot, a noisy
// neighbour, another boot), runs that remember the one before (AR(1)), a guest noisier than its
// baseline, one disturbed baseline run, a baseline step, values printed at a coarse step — and
// how often an engine's interval covers the truth and its verdict is wrong. Seeded and pure, so
// the figures are the same on every machine and load; the engine is a parameter, so today's and
// yesterday's engines are measured on the very same draws.
import { mulberry32, normal } from '../lib/stats/random.js';
import type { Direction, Verdict } from '../lib/compare/index.js';

export interface SimRun {
  runId: string;
  startNs: bigint;
  values: number[];
  step: number;
}

/** One comparison as the collector sees it: a guest run, that guest's earlier runs, the baseline's runs in the window. */
export interface SimCase {
  guest: SimRun;
  /** The guest's earlier runs of this series, oldest first (the current run not included). */
  guestHistory: SimRun[];
  /** The baseline agent's runs within the window, oldest first. */
  baseline: SimRun[];
  direction: Direction;
  /** The default margin of the metric simulated (the slowdowns are multiples of it). */
  marginPct: number;
}

export interface Judged {
  verdict: Verdict;
  low: number | null;
  high: number | null;
}

export type Engine = (c: SimCase) => Judged;

export interface Setting {
  name: string;
  /** Trial noise inside a run (SD on the log scale, 0.01 = 1 %). */
  sigma: number;
  /** Run-to-run spread of the guest and of the baseline (SD on the log scale). */
  tauGuest: number;
  tauBaseline: number;
  /** Lag-one autocorrelation of each series' run effects (0: independent runs). */
  phi?: number;
  /** Guest runs known before the current one (its history). */
  history?: number;
  /** Baseline runs in the window (6 h apart, centred on the guest run). */
  baselineRuns?: number;
  /** The baseline run just before the guest run is slowed by this factor (0.7: 30 % slower). */
  disturbed?: number;
  /** Baseline runs after the guest run are slower by this factor (a step inside the window). */
  stepAfter?: number;
  /** The metric's value and printing step (default cpu events/s: 1000 at 0.01). */
  level?: number;
  step?: number;
  direction?: Direction;
  marginPct?: number;
  trials?: number;
}

const HOUR = 3_600_000_000_000n;

/** One simulated case of `s` whose guest is truly `truthPct` percent worse. */
export function drawCase(s: Setting, truthPct: number, rand: () => number): SimCase {
  const direction = s.direction ?? 'higher';
  const level = s.level ?? 1000;
  const step = s.step ?? 0.01;
  const trials = s.trials ?? 3;
  const phi = s.phi ?? 0;
  const history = s.history ?? 10;
  const nBase = s.baselineRuns ?? 8;
  // Percent worse → the factor on the value: throughput divided, time multiplied.
  const worse = 1 + truthPct / 100;
  const guestLevel = direction === 'higher' ? level / worse : level * worse;
  const slower = (f: number) => (direction === 'higher' ? f : 1 / f);
  /** AR(1) run effects with stationary SD tau, oldest first. */
  const effects = (k: number, tau: number): number[] => {
    const out: number[] = [];
    let u = normal(rand) * tau;
    for (let i = 0; i < k; i++) {
      if (i > 0) u = phi * u + Math.sqrt(1 - phi * phi) * tau * normal(rand);
      out.push(u);
    }
    return out;
  };
  const print = (v: number) => Math.max(step, Math.round(v / step) * step);
  const run = (id: string, at: bigint, centre: number, u: number, factor = 1): SimRun => ({
    runId: id,
    startNs: at,
    values: Array.from({ length: trials }, () => print(centre * factor * Math.exp(u + s.sigma * normal(rand)))),
    step,
  });
  const g = effects(history + 1, s.tauGuest);
  const guestRuns = g.map((u, i) => run(`g${i}`, BigInt(i - history) * 6n * HOUR, guestLevel, u));
  // Baseline runs 6 h apart, half before and half after the guest run (3 h off it).
  const b = effects(nBase, s.tauBaseline);
  const first = -Math.floor(nBase / 2);
  const baseline = b.map((u, i) => {
    const slot = first + i;
    const at = BigInt(slot) * 6n * HOUR + 3n * HOUR;
    let factor = 1;
    if (s.disturbed !== undefined && slot === -1) factor *= slower(s.disturbed);
    if (s.stepAfter !== undefined && slot >= 0) factor *= slower(s.stepAfter);
    return run(`b${i}`, at, level, u, factor);
  });
  return { guest: guestRuns.at(-1)!, guestHistory: guestRuns.slice(0, -1), baseline, direction, marginPct: s.marginPct ?? 3 };
}

export interface Tally {
  n: number;
  worse: number;
  better: number;
  equivalent: number;
  inconclusive: number;
  unmeasurable: number;
  covered: number;
  withInterval: number;
}

export const newTally = (): Tally => ({ n: 0, worse: 0, better: 0, equivalent: 0, inconclusive: 0, unmeasurable: 0, covered: 0, withInterval: 0 });

export function count(t: Tally, j: Judged, truthPct: number): void {
  t.n++;
  t[j.verdict]++;
  if (j.low !== null && j.high !== null) {
    t.withInterval++;
    if (j.low <= truthPct && truthPct <= j.high) t.covered++;
  }
}

/** The figures of one setting: A/A, and slowdowns of ½, 1, 2 and 4 margins. */
export interface SettingResult {
  setting: Setting;
  aa: Tally;
  bySlowdown: Array<{ pct: number; tally: Tally }>;
  /** Coverage over every truth simulated (A/A and slowdowns). */
  coverage: number;
  /** Comparisons without an interval (unmeasurable, or a side too thin for one). */
  noInterval: number;
}

export const SLOWDOWN_MARGINS = [0.5, 1, 2, 4];

export function simulateSetting(s: Setting, engine: Engine, reps: number, seed: number): SettingResult {
  const rand = mulberry32(seed);
  const m = s.marginPct ?? 3;
  const aa = newTally();
  for (let i = 0; i < reps; i++) count(aa, engine(drawCase(s, 0, rand)), 0);
  const bySlowdown = SLOWDOWN_MARGINS.map((k) => {
    const tally = newTally();
    for (let i = 0; i < reps; i++) count(tally, engine(drawCase(s, k * m, rand)), k * m);
    return { pct: k * m, tally };
  });
  const all = [aa, ...bySlowdown.map((x) => x.tally)];
  const covered = all.reduce((a, t) => a + t.covered, 0);
  const withInterval = all.reduce((a, t) => a + t.withInterval, 0);
  const n = all.reduce((a, t) => a + t.n, 0);
  return { setting: s, aa, bySlowdown, coverage: withInterval ? covered / withInterval : NaN, noInterval: n - withInterval };
}

/** The settings of issue 22 item 8 (cpu events/s at its 3 % default margin unless said otherwise). */
export const SETTINGS: Setting[] = [
  { name: 'τ 0 (runs alike), σ 1 %', sigma: 0.01, tauGuest: 0, tauBaseline: 0 },
  { name: 'τ 1 %, σ 1 %', sigma: 0.01, tauGuest: 0.01, tauBaseline: 0.01 },
  { name: 'τ 3 %, σ 1 %', sigma: 0.01, tauGuest: 0.03, tauBaseline: 0.03 },
  { name: 'τ 5 %, σ 1 %', sigma: 0.01, tauGuest: 0.05, tauBaseline: 0.05 },
  { name: 'τ 5 %, σ 5 % (busy)', sigma: 0.05, tauGuest: 0.05, tauBaseline: 0.05 },
  { name: 'noisy guest: τ 3 % against a baseline at 0.3 %', sigma: 0.01, tauGuest: 0.03, tauBaseline: 0.003 },
  { name: 'autocorrelated runs: AR(1) φ 0.5, τ 3 %', sigma: 0.01, tauGuest: 0.03, tauBaseline: 0.03, phi: 0.5 },
  { name: 'one disturbed baseline run (30 % slower, the one nearest the guest), τ 1 %', sigma: 0.01, tauGuest: 0.01, tauBaseline: 0.01, disturbed: 0.7 },
  { name: 'baseline step inside the window (10 % slower after the guest run), τ 1 %', sigma: 0.01, tauGuest: 0.01, tauBaseline: 0.01, stepAfter: 0.9 },
  { name: 'new guest (no history), baseline of 3 runs, τ 3 %', sigma: 0.01, tauGuest: 0.03, tauBaseline: 0.03, history: 0, baselineRuns: 3 },
  { name: 'autocorrelated runs: AR(1) φ 0.7, τ 5 % (hard)', sigma: 0.01, tauGuest: 0.05, tauBaseline: 0.05, phi: 0.7 },
  {
    name: 'new guest, 3 baseline runs, runs 15 % apart while trials agree within 1 % (hard)',
    sigma: 0.01,
    tauGuest: 0.15,
    tauBaseline: 0.15,
    history: 0,
    baselineRuns: 3,
  },
  { name: 'new guest 10× noisier than its baseline (τ 3 % against 0.3 %)', sigma: 0.005, tauGuest: 0.03, tauBaseline: 0.003, history: 0 },
  {
    name: 'rounding: latency 0.36 ms printed at 0.01, τ 0.5 %',
    sigma: 0.005,
    tauGuest: 0.005,
    tauBaseline: 0.005,
    level: 0.36,
    step: 0.01,
    direction: 'lower',
    marginPct: 5,
  },
];
