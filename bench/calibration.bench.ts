// Calibration of the comparison engine (issue 13 item 4): how often it says `worse`/`better`
// when nothing differs (A/A), and how often it detects, and how often its interval covers, a
// known slowdown of 2, 5, 10 and 50 %.
// 1. Simulation from real trial distributions recorded here: every test of the quick profile is
//    run REC times by real sysbench; comparisons draw trials from those recordings (a baseline of
//    3 runs for the noise floor, a guest run of 3 trials), a slowdown scales the guest's values by
//    the known amount and rounds them back to the printing step. Seeded, so reruns agree.
// 2. Real runs: sysbench cpu at a fixed event rate (--rate, a Poisson arrival process well below
//    what a core does: events/s is the rate whatever else runs), baseline 400/s, guests at 400/s
//    (A/A) and at round(400/(1+s)) (sysbench takes whole rates; the truth is 400/rate − 1 exactly).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildArgs } from '../agent/sysbench/dialect.js';
import { parseSysbenchOutput } from '../agent/sysbench/parser/index.js';
import { BUILTIN_PROFILES } from '../agent/sysbench/profiles.js';
import { sysbenchVersion } from '../agent/sysbench/runner.js';
import { chooseMargin, compareSamples, type Comparison, type Sample } from '../lib/compare/index.js';
import { mean } from '../lib/stats/stats.js';
import { mulberry32 } from '../lib/stats/random.js';
import { KEY_METRICS, metricDirection } from '../schema/metrics.js';
import { TESTS, type ResultField, type TestName } from '../schema/sysbench.js';
import { sig } from './stats.js';
import type { BenchResult, BenchSection } from './types.js';

const run = promisify(execFile);
const SLOWDOWNS = [2, 5, 10, 50];
const TRIALS = 3;
const BASELINE_RUNS = 3;

interface Recording {
  test: TestName;
  metric: ResultField;
  values: number[];
  step: number;
}

/** Runs each test of the quick profile `n` times (1 s where the test is timed) and keeps its headline metric. */
async function record(n: number, dir: string, say: (l: string) => void): Promise<Recording[]> {
  const version = await sysbenchVersion('sysbench');
  const out: Recording[] = [];
  for (const test of TESTS) {
    const spec = { ...BUILTIN_PROFILES.quick!.tests[test]!, ...(BUILTIN_PROFILES.quick!.tests[test]!.time ? { time: 1 } : {}) };
    if (test === 'fileio') await run('sysbench', buildArgs(version, test, spec, 'prepare', false), { cwd: dir, maxBuffer: 1 << 24 });
    const values: number[] = [];
    let step = 0;
    let metric: ResultField | undefined;
    for (let i = 0; i < n; i++) {
      const { stdout } = await run('sysbench', buildArgs(version, test, spec, 'run', false), { cwd: dir, maxBuffer: 1 << 24 });
      const inv = parseSysbenchOutput(stdout).find((x) => x.phase === 'run' && x.ok);
      metric ??= KEY_METRICS[test].find((m) => inv?.fields[m] !== undefined && inv.fields[m]! > 0);
      const v = metric ? inv?.fields[metric] : undefined;
      if (v === undefined) continue;
      values.push(v);
      step = Math.max(step, inv?.resolution?.[metric!] ?? 0);
    }
    if (test === 'fileio') await run('sysbench', buildArgs(version, test, spec, 'cleanup', false), { cwd: dir });
    if (metric && values.length >= 3) out.push({ test, metric, values, step });
    say(`calibration: recorded ${values.length} ${test} ${metric} trials, mean ${sig(values.length ? mean(values) : NaN, 5)}`);
  }
  return out;
}

interface Tally {
  n: number;
  worse: number;
  better: number;
  covered: number;
  withInterval: number;
}

const tally = (): Tally => ({ n: 0, worse: 0, better: 0, covered: 0, withInterval: 0 });

function count(t: Tally, c: Comparison, truthPct: number): void {
  t.n++;
  if (c.verdict === 'worse') t.worse++;
  if (c.verdict === 'better') t.better++;
  if (c.overheadLowPct !== null && c.overheadHighPct !== null) {
    t.withInterval++;
    if (c.overheadLowPct <= truthPct && truthPct <= c.overheadHighPct) t.covered++;
  }
}

/** One simulated comparison: BASELINE_RUNS baseline runs (margin from their means), the last one compared with a guest run. */
function simulate(rec: Recording, slowdownPct: number, draw: () => number): Comparison {
  const pick = () => rec.values[Math.floor(draw() * rec.values.length)]!;
  const runs = Array.from({ length: BASELINE_RUNS }, () => Array.from({ length: TRIALS }, pick));
  const direction = metricDirection(rec.metric)!;
  // Slower by s %: throughput divided by (1 + s/100), time and latency multiplied; printed again at the step.
  const slow = (v: number) => (direction === 'higher' ? v / (1 + slowdownPct / 100) : v * (1 + slowdownPct / 100));
  const round = (v: number) => (rec.step > 0 ? Math.round(v / rec.step) * rec.step : v);
  const guest: Sample = { values: Array.from({ length: TRIALS }, () => round(slow(pick()))), resolution: rec.step || null };
  const margin = chooseMargin(runs.map((r) => mean(r)));
  return compareSamples(guest, { values: runs[BASELINE_RUNS - 1]!, resolution: rec.step || null }, { direction, marginPct: margin.marginPct });
}

/** Real rate-limited cpu runs: events/s of each of TRIALS trials. */
async function ratedRun(rate: number, dir: string): Promise<Sample> {
  const version = await sysbenchVersion('sysbench');
  const spec = { threads: 1, time: 2, options: { 'cpu-max-prime': '2000', rate: String(rate) }, timeoutS: 60 };
  const values: number[] = [];
  let step = 0;
  for (let i = 0; i < TRIALS; i++) {
    const { stdout } = await run('sysbench', buildArgs(version, 'cpu', spec, 'run', false), { cwd: dir });
    const inv = parseSysbenchOutput(stdout).find((x) => x.ok)!;
    values.push(inv.fields.events_per_sec!);
    step = Math.max(step, inv.resolution?.events_per_sec ?? 0);
  }
  return { values, resolution: step || null };
}

const pct = (x: number, n: number) => (n === 0 ? NaN : sig((100 * x) / n, 3));

export async function benchCalibration(recordings = 12, reps = 2000, say: (l: string) => void = () => {}): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-calib-'));
  const results: BenchResult[] = [];
  const notes: string[] = [];
  try {
    const recs = await record(recordings, dir, say);
    const draw = mulberry32(13); // seeded: reruns on the same recordings give the same figures
    const aa = tally();
    const bySlowdown = new Map(SLOWDOWNS.map((s) => [s, tally()]));
    for (const rec of recs) {
      const mine = tally();
      for (let i = 0; i < reps; i++) {
        const c = simulate(rec, 0, draw);
        count(aa, c, 0);
        count(mine, c, 0);
      }
      notes.push(
        `${rec.test} ${rec.metric}: ${rec.values.length} recorded trials, RSD ${sig((100 * Math.sqrt(rec.values.reduce((a, v) => a + (v - mean(rec.values)) ** 2, 0) / (rec.values.length - 1))) / mean(rec.values), 3)} %, step ${rec.step}; simulated A/A worse+better ${pct(mine.worse + mine.better, mine.n)} %.`,
      );
      for (const s of SLOWDOWNS) for (let i = 0; i < reps; i++) count(bySlowdown.get(s)!, simulate(rec, s, draw), s);
    }
    const falseRate = (100 * (aa.worse + aa.better)) / aa.n;
    results.push({
      name: `simulated A/A: worse or better (${aa.n} comparisons, ${recs.length} tests)`,
      value: sig(falseRate, 3),
      unit: '%',
      goal: '≤ 5 %',
      met: falseRate <= 5,
    });
    results.push({
      name: 'simulated A/A: 95 % interval covers 0',
      value: pct(aa.covered, aa.withInterval),
      unit: '%',
      goal: '≥ 95 %',
      met: aa.covered / aa.withInterval >= 0.95,
    });
    for (const s of SLOWDOWNS) {
      const t = bySlowdown.get(s)!;
      results.push({ name: `simulated +${s} %: verdict worse`, value: pct(t.worse, t.n), unit: '%' });
      results.push({
        name: `simulated +${s} %: 95 % interval covers +${s} %`,
        value: pct(t.covered, t.withInterval),
        unit: '%',
        goal: '≥ 95 %',
        met: t.covered / t.withInterval >= 0.95,
      });
    }

    // Real runs, baseline runs between the guests so each guest's nearest baseline is adjacent.
    const baseline: Sample[] = [];
    const real: string[] = [];
    const BASE = 400;
    const guests: Array<[number, number]> = [0, 2, 0, 5, 0, 10, 0, 50].map((s) => [s, Math.round(BASE / (1 + s / 100))]);
    baseline.push(await ratedRun(BASE, dir));
    baseline.push(await ratedRun(BASE, dir));
    const realAa = tally();
    const realSlow = tally();
    for (const [s, rate] of guests) {
      const g = await ratedRun(rate, dir);
      baseline.push(await ratedRun(BASE, dir));
      const margin = chooseMargin(baseline.map((b) => mean(b.values)));
      const c = compareSamples(g, baseline.at(-1)!, { direction: 'higher', marginPct: margin.marginPct });
      const truth = (BASE / rate - 1) * 100;
      count(s === 0 ? realAa : realSlow, c, truth);
      real.push(
        `${s === 0 ? 'A/A' : `+${sig(truth, 3)} % (rate ${rate})`}: ${c.verdict} ${sig(c.overheadPct ?? NaN, 3)} % [${sig(c.overheadLowPct ?? NaN, 3)}, ${sig(c.overheadHighPct ?? NaN, 3)}] margin ±${margin.marginPct} %`,
      );
      say(`calibration real: ${real.at(-1)}`);
    }
    results.push({ name: `real rate-limited runs, A/A: worse or better (of ${realAa.n})`, value: realAa.worse + realAa.better, unit: 'comparisons' });
    results.push({
      name: `real rate-limited runs, slowdowns: 95 % interval covers the truth (of ${realSlow.withInterval})`,
      value: realSlow.covered,
      unit: 'comparisons',
    });
    notes.push(`Real runs (sysbench cpu --rate, 3 trials of 2 s per run, margin = noise floor of the baseline runs so far): ${real.join('; ')}.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'Calibration of the comparison engine (verdicts, intervals)',
    method:
      `Simulation: each test of the quick profile run ${recordings} times by real sysbench here (1 s where timed), its headline metric recorded with its printing step; ${reps} comparisons per test and scenario, ` +
      `each a baseline of ${BASELINE_RUNS} runs × ${TRIALS} trials (margin = their noise floor, docs/overhead.md) against a guest run of ${TRIALS} trials drawn from the same recordings (A/A) or scaled by a known slowdown and rounded to the printing step. ` +
      'Resampling trials independently ignores drift between runs beyond what the recordings hold. Real runs: sysbench cpu at a fixed event rate (known slowdown = ratio of rates).',
    results,
    notes,
  };
}
