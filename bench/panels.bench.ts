// Months of data (issue 14 item 5, the measuring part): a simulated year of 6-hourly runs of
// 100 guests and their baseline in a private influxd with the collector's retention policies —
// results, overhead and change points, heartbeats, interval samples of the last 30 days (the
// samples policy) downsampled by the collector's own backfill, their 5-minute points for the
// year, a day of silence checks — then every query of every committed dashboard (panels and
// annotations, interpolated as Grafana does over the last 365 days with every variable on All)
// and `virt-overhead report` run several times each: p95 per query against the goal of 1 s.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { packageRoot } from '../lib/root.js';
import { startInfluxd } from '../collector/influx/influxd.js';
import { rawQuery } from '../collector/influx/http.js';
import { refreshAllLatest } from '../collector/latest/overhead-latest.js';
import { fillHistoryRollup } from '../collector/rollup/history.js';
import { fillRollup } from '../collector/rollup/engine.js';
import { TRIALS_ROLLUP } from '../collector/rollup/trials.js';
import { fillReportRollup } from '../collector/rollup/report-days.js';
import { setUpRetention } from '../collector/influx/setup.js';
import { buildReport } from '../collector/report/index.js';
import { changesReport } from '../collector/changes/report.js';
import { createChangeDetector } from '../collector/changes/index.js';
import { influxStore } from '../collector/store/influx.js';
import { interpolate, minIntervalMs, type VariableValue } from '../grafana/interpolate.js';
import { DOWNSAMPLED_INTERVAL_FIELDS } from '../schema/influx.js';
import { DEFAULT_RETENTION, DOWNSAMPLE_WINDOW_MS, policyOf } from '../schema/retention.js';
import { scenarios, simulateGuest } from './changes.bench.js';
import type { BenchResult, BenchSection } from './types.js';

/**
 * Relative trial noise for the simulated trials' values: each recorded value (bench/data/cpu-trials.json)
 * divided by the recordings' median, its deviations shrunk by `scale` (0.1: a quiet host).
 */
function loadNoise(scale: number): number[] {
  const rec = JSON.parse(readFileSync(join(packageRoot(), 'bench', 'data', 'cpu-trials.json'), 'utf8')) as { events_per_sec: number[] };
  const v = [...rec.events_per_sec].sort((a, b) => a - b);
  const med = v[Math.floor(v.length / 2)]!;
  return rec.events_per_sec.map((x) => 1 + (x / med - 1) * scale);
}

const GUESTS = 100;
const RUNS = 365 * 4;
const RUN_MS = 6 * 3_600_000;
const TRIALS = 3;
/** Interval samples per run (one 10 s cpu trial at --report-interval 1, the first trial's). */
const SAMPLES_PER_RUN = 10;
/** Days of raw samples: within the samples policy's 30 (InfluxDB drops points older than a policy's duration). */
const SAMPLES_DAYS = 29;
const SILENCE_DAYS = 1;
const REPEATS = 7;
const DB = 'virt_overhead';

type Any = Record<string, any>;

const progress = (m: string) => process.stderr.write(`[bench] panels: ${m}\n`);

export function p95(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
}

export function spread(times: number[]): string {
  const s = [...times].sort((a, b) => a - b);
  return `min ${Math.round(s[0]!)}, median ${Math.round(s[Math.floor(s.length / 2)]!)}, max ${Math.round(s[s.length - 1]!)} ms`;
}

/**
 * The dashboards' variables as Grafana fills them with All (allValue, .*), and a single-valued
 * query variable without All (the Guest dashboard's agent) set to its first option, as Grafana sets
 * it when its current value is not among them (test/grafana-queries.test.ts does the same). `.*`
 * there made the one-guest panel read and average every guest's series, a query Grafana never
 * sends: 3 090 series against 15 for one guest of 206 (docs/scaling.md, "Rollups for the over-time panels").
 */
export async function dashboardVariables(d: Any, url: string, database: string): Promise<Record<string, VariableValue>> {
  const out: Record<string, VariableValue> = {};
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'datasource') continue;
    if (v.type === 'custom') out[v.name] = { multi: false, value: v.current.value };
    else if (v.multi || v.includeAll) out[v.name] = { multi: false, value: v.allValue ?? '.*' };
    else {
      const res = await fetch(`${url}/query?db=${encodeURIComponent(database)}&q=${encodeURIComponent(interpolate(v.query, { fromMs: 0, toMs: 1 }, out))}`);
      const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: unknown[][] }> }> };
      const first = (body.results?.[0]?.series ?? []).flatMap((s) => s.values.map((row) => String(row[1]))).sort()[0];
      if (first === undefined) throw new Error(`${d.title}: variable $${v.name} has no option to take (${v.query})`);
      out[v.name] = { multi: false, value: first };
    }
  }
  return out;
}

export async function benchPanels(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-panels-'));
  const influxd = await startInfluxd({ dir });
  const notes: string[] = [
    `Load average at the start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (2 shared cores).`,
  ];
  try {
    const query = rawQuery({ url: influxd.url, database: DB });
    await query(`CREATE DATABASE "${DB}"`);
    const log = pino({ level: 'silent' });
    await (
      await setUpRetention(query, DB, DEFAULT_RETENTION, log)
    ).backfill;
    const write = async (lines: string[], policy?: string) => {
      for (let i = 0; i < lines.length; i += 20_000) {
        const res = await fetch(`${influxd.url}/write?db=${DB}&precision=n${policy ? `&rp=${policy}` : ''}`, {
          method: 'POST',
          body: lines.slice(i, i + 20_000).join('\n'),
        });
        if (!res.ok) throw new Error(`write: ${res.status} ${await res.text()}`);
      }
    };
    const noise = loadNoise(0.1);
    const quiet = scenarios().quiet;
    const endMs = Math.floor(Date.now() / RUN_MS) * RUN_MS;
    const startMs = endMs - (RUNS - 1) * RUN_MS;
    const samplesFromMs = endMs - SAMPLES_DAYS * 86_400_000;
    const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
    const identity = (agent: string, role: string) =>
      `agent=${agent},container=none,group=bench,host=${agent},kvm=${role === 'baseline' ? 'absent' : 'usable'},role=${role},variant=default,virt=${role === 'baseline' ? 'none' : 'kvm'}`;
    const run = (agent: string, role: string) => `${identity(agent, role)},profile=seed,sysbench_version=1.0.20,test=cpu`;
    let counts = { sysbench: 0, overhead: 0, samples: 0, downsampled: 0, status: 0, silence: 0 };
    const t0 = performance.now();
    // The baseline and the guests: results of every run, a heartbeat per run, samples of the last 30 days.
    const agents = ['native', ...Array.from({ length: GUESTS }, (_, g) => `g${String(g).padStart(3, '0')}`)];
    for (const [a, agent] of agents.entries()) {
      const role = a === 0 ? 'baseline' : 'guest';
      const sim = role === 'guest' ? simulateGuest(1000 + a, quiet) : null;
      const results: string[] = [];
      const status: string[] = [];
      const samples: string[] = [];
      const windows: string[] = [];
      const overhead: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = startMs + i * RUN_MS;
        const speed = sim ? 100 / (100 + sim.overhead[i]!) : 1;
        for (let trial = 1; trial <= TRIALS; trial++) {
          const eps = 1000 * speed * noise[(i * 7 + trial * 13 + a) % noise.length]!;
          results.push(
            `sysbench,${run(agent, role)} events_per_sec=${eps},latency_avg_ms=${1000 / eps},total_time_s=10,total_events=${eps * 10},ok=true,trial=${trial},threads=1,run_id="${agent}-r${i}",result_id="${agent}-r${i}-t${trial}" ${ns(t + trial * 11_000)}`,
          );
        }
        status.push(
          `agent_status,${identity(agent, role)} spooled=0,dropped=0,corrupt=0,rejected=0,last_run_ok=true,state="idle",collector_held=0 ${ns(t + 40_000)}`,
        );
        // The first trial's samples: within the samples policy as raw points (the backfill downsamples them), else as
        // the 5-minute point the collector would have made of them (one window per run).
        const values = Array.from({ length: SAMPLES_PER_RUN }, (_, k) => 1000 * speed * noise[(i * 3 + k * 5 + a) % noise.length]!);
        if (t >= samplesFromMs)
          values.forEach((v, k) =>
            samples.push(
              `sysbench_interval,${run(agent, role)} elapsed_s=${k + 1},threads=1,events_per_sec=${v},latency_pct_ms=${1000 / v},trial=1,run_id="${agent}-r${i}",sample_id="${agent}-r${i}-s${k}" ${ns(t + (k + 1) * 1000)}`,
            ),
          );
        else {
          const mean = values.reduce((x, y) => x + y, 0) / values.length;
          const lat = values.map((v) => 1000 / v);
          windows.push(
            `sysbench_interval_5m,${run(agent, role)} threads_mean=1,threads_min=1,threads_max=1,events_per_sec_mean=${mean},events_per_sec_min=${Math.min(...values)},events_per_sec_max=${Math.max(...values)},latency_pct_ms_mean=${lat.reduce((x, y) => x + y, 0) / lat.length},latency_pct_ms_min=${Math.min(...lat)},latency_pct_ms_max=${Math.max(...lat)},samples=${SAMPLES_PER_RUN} ${ns(Math.floor(t / DOWNSAMPLE_WINDOW_MS) * DOWNSAMPLE_WINDOW_MS)}`,
          );
        }
        if (sim) {
          const v = sim.overhead[i]!;
          overhead.push(
            `overhead,${run(agent, role)},baseline_agent=native,metric=events_per_sec overhead_pct=${v},ci_low_pct=${v - 1},ci_high_pct=${v + 1},ratio=${speed},guest_value=${1000 * speed},baseline_value=1000,n_guest=3,n_baseline=3,run_id="${agent}-r${i}",baseline_run_id="native-r${i}",verdict="${v > 1 ? 'worse' : 'equivalent'}",margin_pct=1 ${ns(t + 11_000)}`,
          );
        }
      }
      const silence: string[] = [];
      for (let m = 0; m < SILENCE_DAYS * 1440; m++)
        silence.push(`agent_silence,${identity(agent, role)} silent_s=${m % 360},silent=0,limit_s=300 ${ns(endMs - m * 60_000)}`);
      await write([...results, ...status, ...windows, ...overhead]);
      await write(samples, policyOf('sysbench_interval'));
      await write(silence, policyOf('agent_silence'));
      counts = {
        sysbench: counts.sysbench + results.length,
        overhead: counts.overhead + (sim ? RUNS : 0),
        samples: counts.samples + samples.length,
        downsampled: counts.downsampled + windows.length,
        status: counts.status + status.length,
        silence: counts.silence + silence.length,
      };
    }
    const loadMs = performance.now() - t0;
    progress(`loaded in ${Math.round(loadMs / 1000)} s`);
    // The change points and per-series verdicts the collector stores (overhead_change, overhead_series):
    // its change detector run over each guest's year, so `report --changes` reads what it reads for users.
    const d0 = performance.now();
    const detector = createChangeDetector({ store: influxStore({ url: influxd.url, database: DB }) });
    for (const agent of agents.slice(1)) await detector.recompute({ group: 'bench', agent, test: 'cpu', profile: 'seed' });
    const detectMs = performance.now() - d0;
    const stored = await query('SELECT count("run_id") FROM "overhead_change"; SELECT count("runs") FROM "overhead_series"');
    const countOf = (i: number) => Number(stored.results?.[i]?.series?.[0]?.values[0]?.[1] ?? 0);
    const changes = countOf(0);
    if (countOf(1) === 0) throw new Error('the change detector stored no overhead_series: report --changes would time its slow path');
    progress(`change detector: ${changes} change points in ${Math.round(detectMs / 1000)} s`);
    // The collector's start: its backfill downsamples the 30 days of samples (as after an upgrade or a restart).
    const b0 = performance.now();
    const backfilled = await (await setUpRetention(query, DB, DEFAULT_RETENTION, log)).backfill;
    const backfillMs = performance.now() - b0;
    counts.downsampled += backfilled;
    progress(`backfill: ${backfilled} points in ${Math.round(backfillMs)} ms`);
    // And it brings overhead_latest up to date from the overhead points (what Current overhead reads).
    const l0 = performance.now();
    const latest = await refreshAllLatest(influxStore({ url: influxd.url, database: DB }));
    notes.push(
      `overhead_latest filled from the year's overhead points as a collector's start does: ${latest} points in ${Math.round(performance.now() - l0)} ms.`,
    );
    // And it rolls the 5-minute windows up per UTC day (what the History panels read).
    const r0 = performance.now();
    const rolledDays = await fillHistoryRollup(influxStore({ url: influxd.url, database: DB }), query, DEFAULT_RETENTION, endMs);
    notes.push(
      `sysbench_interval_1d filled from the year's 5-minute windows as a collector's start does: ${rolledDays} days in ${Math.round(performance.now() - r0)} ms.`,
    );
    // And the ok trials per UTC day (what the Variants "mean and 95 % CI" table reads).
    const t1 = performance.now();
    const trialDays = await fillRollup(TRIALS_ROLLUP, influxStore({ url: influxd.url, database: DB }), query, DEFAULT_RETENTION, endMs);
    notes.push(`sysbench_1d filled from the year's trials as a collector's start does: ${trialDays} days in ${Math.round(performance.now() - t1)} ms.`);
    // And the report's days (what `report` reads of whole days once a start has filled them).
    const t2 = performance.now();
    const reportDays = await fillReportRollup(influxStore({ url: influxd.url, database: DB }), query, DEFAULT_RETENTION, endMs);
    notes.push(
      `sysbench_report_1d filled from the year's trials as a collector's start does, then rollup_filled written: ${reportDays} days in ${Math.round(performance.now() - t2)} ms.`,
    );
    notes.push(
      `Data: ${counts.sysbench} sysbench results (${agents.length} agents × ${RUNS} runs × ${TRIALS} trials), ${counts.overhead} overhead points, ${changes} change points (the collector's change detector over each guest's year, ${Math.round(detectMs / 1000)} s), ${counts.status} heartbeats (one per run), ${counts.samples} interval samples of the last ${SAMPLES_DAYS} days in the samples policy (${SAMPLES_PER_RUN} per run), ${counts.downsampled} 5-minute points for the year (${backfilled} of them by the collector's backfill of those samples, which took ${Math.round(backfillMs)} ms; the older ones written as the CQ would have), ${counts.silence} silence checks (${SILENCE_DAYS} day, one a minute per agent); loaded in ${Math.round(loadMs / 1000)} s.`,
    );
    notes.push(
      `Downsampled fields written for the older windows: threads, events_per_sec, latency_pct_ms (of ${DOWNSAMPLED_INTERVAL_FIELDS.length}); the backfill writes all that the samples hold.`,
    );

    const range = { fromMs: endMs - 365 * 86_400_000, toMs: endMs + 60_000 };
    const results: BenchResult[] = [];
    // One warm-up run, then the timed ones; a query far over the goal is not repeated (its first
    // time already decides the goal), so the whole run stays within minutes on a loaded machine.
    const timeIt = async (name: string, fn: () => Promise<number>, warmUp = true) => {
      const times: number[] = [];
      // Warm-up, not counted: the first read of a shard after loading it is slower.
      let rows = warmUp ? await fn() : 0;
      for (let i = 0; i < REPEATS && !(i > 0 && times[0]! > 5000); i++) {
        const t = performance.now();
        rows = await fn();
        times.push(performance.now() - t);
      }
      const p = p95(times);
      results.push({
        name: `${name}: ${times.length > 1 ? `p95 over ${times.length} runs` : 'one run after a warm-up (over 5 s: not repeated)'} (${rows} rows; ${spread(times)})`,
        value: Math.round(p),
        unit: 'ms',
        goal: '≤ 1 000',
        met: p <= 1000,
      });
      progress(`${name}: ${Math.round(p)} ms`);
    };
    const jsonDir = join(packageRoot(), 'grafana/dashboards/json');
    for (const file of readdirSync(jsonDir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const d = JSON.parse(readFileSync(join(jsonDir, file), 'utf8')) as Any;
      const vars = await dashboardVariables(d, influxd.url, DB);
      // With each panel's minimum interval, as Grafana makes $__interval (the History row's 1 d).
      const queries: Array<[string, string, number | undefined]> = [
        ...(d.panels as Any[]).flatMap((p) =>
          (p.targets ?? []).map((t: Any, i: number): [string, string, number | undefined] => [
            `panel "${p.title}"${i ? ` #${i + 1}` : ''}`,
            t.query,
            minIntervalMs(p.interval),
          ]),
        ),
        ...(d.annotations?.list ?? [])
          .filter((a: Any) => a.target?.query)
          .map((a: Any): [string, string, number | undefined] => [`annotation "${a.name}"`, a.target.query, undefined]),
      ];
      for (const [name, q, minMs] of queries) {
        const sql = interpolate(q, range, vars, minMs);
        await timeIt(`${d.title.replace('virt-overhead: ', '')} ${name}`, async () => {
          const res = await fetch(`${influxd.url}/query?db=${DB}&epoch=ms&q=${encodeURIComponent(sql)}`);
          const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: unknown[] }>; error?: string }> };
          if (body.results?.[0]?.error) throw new Error(`${name}: ${body.results[0].error}`);
          return (body.results?.[0]?.series ?? []).reduce((n, s) => n + s.values.length, 0);
        });
      }
    }
    // The report reads every result of its period into the process: 7 and 30 days. A year (442 000
    // results) ran for over 20 minutes while buildSections still copied its section for every row
    // (quadratic; fixed in 47bdb49): not measured since.
    for (const days of [7, 30])
      await timeIt(
        `report --since ${days}d (the table: every result of the period)`,
        async () => {
          const r = await buildReport({
            store: influxStore({ url: influxd.url, database: DB }),
            database: DB,
            since: days * 86_400_000,
            now: new Date(range.toMs),
          });
          return r.sections.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.results.length, 0), 0);
        },
        false,
      );
    await timeIt(
      'report --changes --since 365d',
      async () => (await changesReport({ store: influxStore({ url: influxd.url, database: DB }), sinceMs: range.fromMs })).length,
      false,
    );
    notes.push(
      'Made cheaper after the first measurement: the History panels read the 5-minute points with a plain mean (a subquery weighting the windows by their sample counts took 9–12 s), and since issue 26 their daily rollup sysbench_interval_1d (a point per series and UTC day; 2.97–3.02 s over the 5-minute points of a year at 5865a41), the Runs annotation reads the newest 2 000 runs (all 150 000 took 2–4 s), and All is the regex .* instead of a list of 100 agents.',
      "Before issue 26 over the goal here: queries that took last() or mean/stddev of every point of a year per series (Current overhead, Variants mean and CI), now read from overhead_latest and sysbench_1d. The report's first measurement took 9.2 s for 30 days, 26× the 7-day time for 4× the results: buildSections copied a section's rows for every row (quadratic), fixed in 47bdb49. report --changes reads the verdicts and change points the collector's detector stored (overhead_series, overhead_change); until issue 26 this bench stored no verdicts, so it timed the analysis of 100 series of 1 460 runs each (5.36 s). The report reads the whole days of its period from sysbench_report_1d (filled above).",
      overGoal(results),
    );
    return {
      title: 'Months of data: every dashboard and the report over a simulated year of 100 guests',
      method: `${GUESTS} guests and their baseline × ${RUNS} runs (a year of 6-hourly runs ending now) in a private influxd whose retention policies and continuous query the collector's own start-up code made (samples 30 days, the rest kept); every query of the committed grafana/dashboards/json/*.json interpolated as Grafana does over the last 365 days with every variable on All (its allValue, .*; the Guest dashboard's single agent on its first option), and the report's own functions (no process start), each run ${REPEATS} times.`,
      results,
      notes,
    };
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What this run found over its goal, said from its own results (a fixed sentence went stale). */
function overGoal(results: readonly BenchResult[]): string {
  const over = results.filter((r) => r.met === false).map((r) => `${r.name.replace(/: p95 over.*$/, '')} (${r.value} ${r.unit})`);
  return over.length ? `Over the goal in this run: ${over.join('; ')}.` : 'Every panel and report of this section within its goal in this run.';
}
