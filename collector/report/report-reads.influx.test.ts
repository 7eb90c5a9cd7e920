// One answer (issue 26): the report reads only the fields it shows, through the store, where it
// used to read `SELECT *` with the `influx` client. Against a real influxd (no mock: the question
// is what InfluxDB answers to the narrower read), the report equals the one built from the old
// read of every field on the same data — byte for byte as JSON — for the cases that take
// another path through it: a guest with no baseline run in its window, a group with one guest
// and no baseline agent, disturbed trials (kept and left out), a failed trial, a result stamped
// with a wrong clock, noise signals, two thread counts, history before the period, a result
// stamped after `now`, every metric and the key ones, one group and all, and a test the report
// has no sections for. Each test is read with its own fields (one select per test, merged):
// mutations tried — the other tests' select left out, the selects concatenated instead of merged
// in time — each fails it.
import { describe, expect, it, beforeAll } from 'vitest';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { writeTrials, type TrialSpec } from '../../test/support/sysbench-points.js';
import { querySysbench } from '../../test/support/query-sysbench.js';
import { comparable } from '../overhead/disturbed.js';
import { eq } from '../../schema/influxql.js';
import { HISTORY_MS } from '../overhead/compute.js';
import { DEFAULT_WINDOW_MS } from '../overhead/window.js';
import { buildReport, buildSections, systemLabel, type Report } from './build.js';
import { noiseBySystem } from './noise.js';
import { compareVariantRows, compareVariants } from '../overhead/variants.js';
import type { Selection, Store } from '../store/store.js';
import { buildChainReport } from './chain/build.js';
import { rawQuery } from '../influx/http.js';
import { nodeHttpQueryChunks } from '../influx/node-query.js';
import { influxStore } from '../store/influx.js';
import { owedMarkerLine } from '../owed.js';
import { mulberry32 } from '../../lib/stats/random.js';
import { DEFAULT_RETENTION } from '../../schema/retention.js';
import { fillReportRollup, reportRollupListener } from '../rollup/report-days.js';

const DB = 'report_reads';
const db = usePrivateInfluxd(DB);
const HOUR = 3_600_000_000_000n;
const NOW = new Date(Date.UTC(2026, 10, 20, 12));
const NOW_NS = BigInt(NOW.getTime()) * 1_000_000n;
const SINCE_MS = 3 * 86_400_000; // the period: the last 3 days; the data spans 6

/** A deterministic spread around 1 (no Math.random: the same data on every run). */
const wobble = (i: number) => 1 + 0.03 * Math.sin(i * 12.9898);

/** A run of three trials: a trial's identity, and the run's level, start and extra fields. */
interface RunSpec extends Pick<TrialSpec, 'agent' | 'group' | 'role' | 'virt' | 'variant' | 'test' | 'threads' | 'disturbed' | 'sysbenchVersion'> {
  metric: string;
  level: number;
  startNs: bigint;
  extra?: Record<string, number>;
  ok?: boolean[];
}

let seq = 0;
function run(r: RunSpec): TrialSpec[] {
  const runId = `${r.agent}-${r.test}-${r.threads ?? 1}-${r.startNs}`;
  return [0, 1, 2].map((i) => ({
    agent: r.agent,
    group: r.group,
    role: r.role,
    ...(r.virt ? { virt: r.virt } : {}),
    ...(r.variant ? { variant: r.variant } : {}),
    test: r.test,
    runId,
    trial: i + 1,
    threads: r.threads ?? 1,
    ok: r.ok?.[i] ?? true,
    // threads is a field: another thread count's run needs its own times, or its points replace these.
    timeNs: r.startNs + BigInt(i) * 60_000_000_000n + (r.threads === 4 ? 10n * 60_000_000_000n : 0n),
    values: { [r.metric]: r.level * wobble(seq++), [`${r.metric}_resolution`]: 0.01, ...(r.extra ?? {}) },
    ...(r.disturbed !== undefined ? { disturbed: r.disturbed } : {}),
    ...(r.sysbenchVersion ? { sysbenchVersion: r.sysbenchVersion } : {}),
  }));
}

/** Runs every 6 hours over the 6 days before NOW. */
function series(base: Omit<RunSpec, 'startNs'>, every = 6n, each: (k: number) => Partial<RunSpec> = () => ({})): TrialSpec[] {
  const out: TrialSpec[] = [];
  for (let k = 0; k < 24; k++) out.push(...run({ ...base, startNs: NOW_NS - 6n * 24n * HOUR + BigInt(k) * every * HOUR, ...each(k) }));
  return out;
}

beforeAll(async () => {
  // The report's store as the CLI makes it (cli/commands/report.ts): the days' medians read in
  // InfluxDB's chunks, here of 7 rows, so that each series' days come in several pieces.
  db.store = influxStore({ url: db.url, database: DB }, { queryChunks: nodeHttpQueryChunks({ url: db.url, database: DB }, 7) });
  const trials: TrialSpec[] = [
    // Two baselines: the reference is the one with more trials in the period.
    ...series({ agent: 'host-a', group: 'lab', role: 'baseline', test: 'cpu', metric: 'events_per_sec', level: 1000, extra: { steal_pct: 0.1, load1: 1.5 } }),
    ...series({ agent: 'host-b', group: 'lab', role: 'baseline', test: 'cpu', metric: 'events_per_sec', level: 990 }, 12n),
    ...series({ agent: 'host-a', group: 'lab', role: 'baseline', test: 'cpu', metric: 'events_per_sec', level: 500, threads: 4 }),
    ...series({ agent: 'host-a', group: 'lab', role: 'baseline', test: 'mutex', metric: 'total_time_s', level: 0.03 }),
    // A guest with noise, every fourth run disturbed, one trial failed, one stamped with a wrong clock.
    ...series({ agent: 'vm1', group: 'lab', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec', level: 900 }, 6n, (k) => {
      const noise: Record<string, number> = { steal_pct: k % 4 === 3 ? 12 : 0.5, contention_pct: 2 + k, load1: 2, cpu_mhz: 2400 };
      return {
        disturbed: k % 4 === 3 ? 'steal' : false,
        extra: k === 22 ? { ...noise, clock_skew_s: 3600 } : noise,
        ...(k === 20 ? { ok: [true, false, true] } : {}),
      };
    }),
    ...series({ agent: 'vm1', group: 'lab', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec', level: 450, threads: 4 }),
    ...series({ agent: 'vm1', group: 'lab', role: 'guest', virt: 'kvm', test: 'mutex', metric: 'total_time_s', level: 0.04 }),
    ...series({ agent: 'vm2', group: 'lab', role: 'guest', virt: 'qemu-tcg', variant: 'patched', test: 'cpu', metric: 'events_per_sec', level: 80 }),
    // Its latest run is disturbed: left out, the run before is shown.
    ...series({ agent: 'vm3', group: 'lab', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec', level: 950 }, 6n, (k) => ({
      disturbed: k === 23 ? 'contention' : false,
    })),
    // A guest that ran only long after the baseline's last run: no baseline run within its window.
    ...run({ agent: 'vm-late', group: 'lab', role: 'guest', virt: 'kvm', test: 'mutex', metric: 'total_time_s', level: 0.05, startNs: NOW_NS + 3n * HOUR }),
    ...run({ agent: 'vm-late', group: 'lab', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec', level: 700, startNs: NOW_NS - 1n * HOUR }),
    // A test the report has no sections for (written around the collector, whose bounds allow only
    // sysbench's tests): its trials count in the noise lines, and it starts after the others but
    // before vm-late, so the lines' order says whether the per-test reads were merged in time.
    ...run({
      agent: 'odd',
      group: 'lab',
      role: 'guest',
      virt: 'kvm',
      test: 'stress-ng',
      metric: 'bogo_ops',
      level: 5,
      startNs: NOW_NS - 40n * HOUR,
      extra: { steal_pct: 3 },
    }),
    // A group of one guest and no baseline agent.
    ...series({ agent: 'lonely', group: 'solo', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec', level: 800 }),
  ];
  trials.push(...longTrials(), ...wideTrials());
  // The mutex baseline stops two days before NOW: vm-late's mutex run (after NOW, ignored) and
  // its cpu run have baselines; vm1's last mutex runs have none within the window.
  const cut = NOW_NS - 2n * 24n * HOUR;
  await writeTrials(
    db.url,
    DB,
    trials.filter((t) => !(t.agent === 'host-a' && t.test === 'mutex' && t.timeNs > cut)),
  );
  // Everything so far is from before the rollup: the collector's start fill rolls it up (and then
  // writes rollup_filled, which the report waits for); what comes later goes through its listener.
  await fillReportRollup(db.store, rawQuery({ url: db.url, database: DB }), DEFAULT_RETENTION);
});

/** Writes trials as the collector does: stored, then the report rollup's listener on them. */
async function collect(trials: TrialSpec[]): Promise<void> {
  await reportRollupListener(db.store).onResultsWritten!(await writeTrials(db.url, DB, trials));
}

const DAY = 24n * HOUR;
/**
 * Group `long`: 45 days of 6-hourly runs, longer than the report's look-back (HISTORY_MS + the
 * window), every run older than 20 days at three times the level, so that metrics read from the
 * wrong end of the data change the answer. The reference baseline runs up to NOW; `lg1` stops 18 h
 * before it (the reference's runs after its run, within the window, count), `lg2` 10 days before it
 * (its look-back reaches 24 days back); `lb2`, a second baseline with fewer runs, is not the reference.
 */
function longTrials(): TrialSpec[] {
  const out: TrialSpec[] = [];
  const every = (base: Omit<RunSpec, 'startNs' | 'level'>, level: number, firstNs: bigint, lastNs: bigint, step = 6n * HOUR) => {
    for (let t = firstNs; t <= lastNs; t += step) out.push(...run({ ...base, startNs: t, level: t < NOW_NS - 20n * DAY ? 3 * level : level }));
  };
  const start = NOW_NS - 45n * DAY;
  every({ agent: 'lb', group: 'long', role: 'baseline', test: 'cpu', metric: 'events_per_sec' }, 1000, start, NOW_NS - HOUR);
  every({ agent: 'lb2', group: 'long', role: 'baseline', test: 'cpu', metric: 'events_per_sec' }, 1010, start, NOW_NS - HOUR, 24n * HOUR);
  every({ agent: 'lg1', group: 'long', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec' }, 900, start + 2n * HOUR, NOW_NS - 18n * HOUR);
  every({ agent: 'lg2', group: 'long', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec' }, 850, start + 3n * HOUR, NOW_NS - 10n * DAY);
  return out;
}

/** Two steal values whose mean differs in the last bit from InfluxDB's median(), lo + (hi - lo) / 2. */
const STEAL_LO = 0.011000000000000001;
const STEAL_HI = 0.165;

/**
 * Group `wide`, which the report reads by summaries (summary-reads.ts; no wrong clock in it): 40
 * days of two thread counts in one series each, runs older than 20 days at three times the level.
 * Threads 1: `wb1` runs 6-hourly up to a day before NOW and `wb2` daily up to NOW (wb1, older, is
 * the reference); threads 4 the other way round (wb2). `wg1` has noise whose median over an even
 * count differs from InfluxDB's median() in the last bit, every fifth run disturbed (its newest
 * too), a failed trial every seventh run; `wg2`'s newest run failed whole (the run before is shown); every run of `wg3` is disturbed (with them
 * left out, it has no section).
 */
function wideTrials(): TrialSpec[] {
  const out: TrialSpec[] = [];
  const start = NOW_NS - 40n * DAY;
  let k = 0;
  for (let t = start; t < NOW_NS; t += 6n * HOUR, k++) {
    const last = t + 6n * HOUR >= NOW_NS;
    const level = (x: number) => (t < NOW_NS - 20n * DAY ? 3 * x : x);
    const base = { group: 'wide', test: 'cpu' as const, metric: 'events_per_sec', startNs: t };
    for (const threads of [1, 4] as const) {
      const often = threads === 1 ? 'wb1' : 'wb2';
      const daily = threads === 1 ? 'wb2' : 'wb1';
      if (t < NOW_NS - DAY) out.push(...run({ ...base, agent: often, role: 'baseline', threads, level: level(1000 / threads) }));
      if (k % 4 === 0) out.push(...run({ ...base, agent: daily, role: 'baseline', threads, level: level(1010 / threads) }));
      out.push(
        ...run({
          ...base,
          agent: 'wg1',
          role: 'guest',
          // Upgraded sysbench 15 days before NOW: two series of one system in the 30-day period.
          ...(k >= 100 ? { sysbenchVersion: '1.0.21' } : {}),
          virt: 'kvm',
          threads,
          level: level(900 / threads),
          disturbed: k % 5 === 0 || last ? 'steal' : false,
          // Steal with threads 1 only (as many runs of each value in both periods), failures with 4 only.
          extra: {
            ...(threads === 1 ? { steal_pct: k % 2 ? STEAL_LO : STEAL_HI } : {}),
            contention_pct: (k % 7) + 0.5,
            load1: 1 + (k % 3),
            cpu_mhz: 2400 + (k % 2),
          },
          ...(k % 7 === 3 && threads === 4 ? { ok: [true, false, true] } : {}),
        }),
        ...run({
          ...base,
          agent: 'wg2',
          role: 'guest',
          virt: 'qemu-tcg',
          variant: 'patched',
          threads,
          level: level(90 / threads),
          // The first trial of either period failed: its noise line is placed by its first successful one.
          ...(last ? { ok: [false, false, false] } : (k === 40 || k === 152) && threads === 1 ? { ok: [false, true, true] } : {}),
        }),
        ...(threads === 1 ? run({ ...base, agent: 'wg3', role: 'guest', virt: 'kvm', threads, level: level(880), disturbed: 'contention' }) : []),
      );
    }
  }
  return out;
}

/** The report as it was built before: `SELECT *` of the period (and the look-back) with the influx client. */
async function oldReport(fast: Report, o: { group?: string; metrics: 'key' | 'all'; excludeDisturbed: boolean; sinceMs?: number }): Promise<Report> {
  const sinceNs = NOW_NS - BigInt(o.sinceMs ?? SINCE_MS) * 1_000_000n;
  const where = [`time >= ${sinceNs - BigInt(DEFAULT_WINDOW_MS + HISTORY_MS) * 1_000_000n}`, `time <= ${NOW_NS}`];
  if (o.group !== undefined) where.push(eq('group', o.group));
  const rows = await querySysbench(db.influx, DB, where.join(' AND '));
  return {
    ...fast,
    sections: buildSections(comparable(rows, o.excludeDisturbed), { metrics: o.metrics, sinceNs, windowMs: DEFAULT_WINDOW_MS }),
    noise: noiseBySystem(rows, systemLabel, sinceNs),
  };
}

describe('report reads only the fields it shows', () => {
  const cases = [
    { metrics: 'key' as const, excludeDisturbed: false },
    { metrics: 'key' as const, excludeDisturbed: true },
    { metrics: 'all' as const, excludeDisturbed: false },
    { metrics: 'key' as const, excludeDisturbed: false, group: 'solo' },
    { metrics: 'key' as const, excludeDisturbed: true, group: 'lab' },
  ];
  for (const c of cases) {
    it(`equals the report from every field: ${JSON.stringify(c)}`, async () => {
      const fast = await buildReport({ store: db.store, database: DB, since: SINCE_MS, now: NOW, ...c });
      const slow = await oldReport(fast, c);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      // The cases are there, so the equality is about something.
      const results = fast.sections.flatMap((s) => s.metrics.flatMap((m) => m.results));
      expect(results.length).toBeGreaterThan(0);
      if (c.group !== 'solo') {
        expect(results.some((r) => r.vsReference?.verdict && r.vsReference.baselineRunId !== '')).toBe(true);
        expect(fast.noise.find((n) => n.agent === 'vm1')?.disturbed).toBeGreaterThan(0);
        expect(fast.noise.find((n) => n.agent === 'vm1')?.medianContentionPct).not.toBeNull();
        expect(fast.sections.some((s) => s.threads === 4)).toBe(true);
        expect(fast.noise.find((n) => n.agent === 'odd')?.medianStealPct).toBe(3);
        expect(fast.noise.findIndex((n) => n.agent === 'odd')).toBeLessThan(fast.noise.findIndex((n) => n.agent === 'vm-late'));
        expect(results.some((r) => r.system.agent === 'vm1' && r.vsReference?.reason === 'no baseline run of this metric within the window')).toBe(true);
      } else {
        expect(results.every((r) => r.vsReference?.reason === 'no baseline agent in this group')).toBe(true);
      }
    });
  }

  // Data longer than the look-back: only the runs shown, the guests' look-back and the reference's
  // windows are read with their metrics. Mutations tried, each fails these cases: the reference's
  // trials read only up to the guest's run (not the window after it), the guest's look-back read
  // from the start of the period instead of back from its run, the reference's window left out.
  const longCases = [
    { metrics: 'key' as const, excludeDisturbed: false, group: 'long', sinceMs: 30 * 86_400_000 },
    { metrics: 'key' as const, excludeDisturbed: false, group: 'long', sinceMs: 2 * 86_400_000 },
    { metrics: 'all' as const, excludeDisturbed: true, sinceMs: 40 * 86_400_000 },
  ];
  for (const c of longCases) {
    it(`data longer than the look-back: equals the report from every field: ${JSON.stringify(c)}`, async () => {
      const selections: Selection[] = [];
      const store: Store = {
        ...db.store,
        selectMany: (s) => (selections.push(...s), db.store.selectMany(s)),
        select: (s) => (selections.push(s), db.store.select(s)),
        // The tails (each series' newest trials with their metrics) are read through eachSeries.
        eachSeries: (s, visit) => (selections.push(...s), db.store.eachSeries!(s, visit)),
      };
      const { sinceMs, ...o } = c;
      const fast = await buildReport({ store, database: DB, since: sinceMs, now: NOW, ...o });
      const slow = await oldReport(fast, c);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      const long = fast.sections.find((s) => s.group === 'long')!;
      const guests = long.metrics[0]!.results.filter((r) => r.system.role === 'guest');
      expect(long.reference?.agent).toBe('lb');
      // lg1's pool holds lb's runs after its run too (4 of the 8 within the window are before it).
      expect(guests.map((r) => [r.system.agent, r.vsReference?.runsReference])).toEqual(
        c.sinceMs > 10 * 86_400_000
          ? [
              ['lg1', 7],
              ['lg2', 8],
            ]
          : [['lg1', 7]],
      );
      // Metrics (a field other than the thin ones) are read no further back than lg2's look-back
      // and lb's window around it (24 days and a day before NOW) and a day's slack before its
      // newest trial (summary-reads.ts), of 45 days stored.
      const withMetrics = selections.filter((s) => s.fields?.includes('events_per_sec'));
      expect(withMetrics.length).toBeGreaterThan(0);
      const earliest = withMetrics.reduce((m, s) => (s.where!.from! < m ? s.where!.from! : m), NOW_NS);
      expect(earliest).toBeGreaterThanOrEqual(NOW_NS - 26n * DAY - HOUR);
      if (c.group === 'long') expect(earliest).toBeLessThan(NOW_NS - 10n * DAY - 24n * HOUR);
    });
  }

  // Read by summaries (no select of every trial): the same report. Mutations tried, each fails
  // these cases: the change undone (every trial read), the noise medians from InfluxDB's
  // median() instead of the two middle values, the disturbed trials' counts not subtracted,
  // the reference chosen from the tails' trials instead of the counts.
  const wideCases = [
    { metrics: 'key' as const, excludeDisturbed: false, sinceMs: 30 * 86_400_000 },
    { metrics: 'all' as const, excludeDisturbed: true, sinceMs: 30 * 86_400_000 },
    { metrics: 'key' as const, excludeDisturbed: true, sinceMs: 2 * 86_400_000 },
    { metrics: 'key' as const, excludeDisturbed: false, sinceMs: 2 * 86_400_000 },
  ];
  for (const c of wideCases) {
    it(`read by summaries: equals the report from every field: ${JSON.stringify(c)}`, async () => {
      let selects = 0;
      const store: Store = { ...db.store, select: (s) => (selects++, db.store.select(s)) };
      const { sinceMs, ...o } = c;
      const fast = await buildReport({ store, database: DB, group: 'wide', since: sinceMs, now: NOW, ...o });
      const slow = await oldReport(fast, { ...c, group: 'wide' });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      expect(selects).toBe(0);
      const refs = fast.sections.map((s) => [s.threads, s.reference?.agent]);
      expect(refs).toEqual([
        [1, 'wb1'],
        [4, 'wb2'],
      ]);
      const wg1 = fast.noise.find((n) => n.agent === 'wg1')!;
      // 30 days: 120 runs of threads 1, 60 of each steal value; 2 days: 8 runs, 4 of each.
      expect(wg1.medianStealPct).toBe((STEAL_LO + STEAL_HI) / 2);
      expect(wg1.medianStealPct).not.toBe(STEAL_LO + (STEAL_HI - STEAL_LO) / 2);
      expect(wg1.disturbed).toBeGreaterThan(0);
      const shown = fast.sections[0]!.metrics[0]!.results.find((r) => r.system.agent === 'wg2')!;
      expect(shown.n).toBe(3);
      expect(fast.sections[0]!.metrics[0]!.results.some((r) => r.system.agent === 'wg3')).toBe(!c.excludeDisturbed);
    });
  }

  // Trials from before the rollup (written around the collector, as a database the collector had
  // not yet filled holds them): without a finished fill (`rollup_filled`) every trial is read; the
  // next start's fill rolls their days up and the report reads them by days, the same report.
  // Mutation tried: the fill's marker not checked (the rollup read without these days) fails it.
  it('days from before the rollup: every trial read until a fill finished, then read by days, the same report', async () => {
    const query = rawQuery({ url: db.url, database: DB });
    await query('DELETE FROM rollup_filled');
    const trials: TrialSpec[] = [];
    for (let t = NOW_NS - 6n * DAY, k = 0; t < NOW_NS; t += 6n * HOUR, k++) {
      const base = { group: 'before', test: 'cpu' as const, metric: 'events_per_sec', startNs: t, extra: { steal_pct: k % 3, load1: 1 + (k % 4) } };
      trials.push(...run({ ...base, agent: 'bb', role: 'baseline', level: 1000 }), ...run({ ...base, agent: 'bg', role: 'guest', virt: 'kvm', level: 800 }));
    }
    await writeTrials(db.url, DB, trials);
    const c = { metrics: 'key' as const, excludeDisturbed: false, group: 'before', sinceMs: 4 * 86_400_000 };
    const { sinceMs, ...o } = c;
    for (const filled of [false, true]) {
      if (filled) await fillReportRollup(db.store, query, DEFAULT_RETENTION);
      let selects = 0;
      const store: Store = { ...db.store, select: (x) => (selects++, db.store.select(x)) };
      const fast = await buildReport({ store, database: DB, since: sinceMs, now: NOW, ...o });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(await oldReport(fast, c)));
      expect(fast.sections.length).toBe(1);
      expect(selects === 0, `read by days: ${filled}`).toBe(filled);
    }
  });

  // The report rollup kept by the listener after the fill: trials delivered days late, replayed,
  // and a batch whose rollup is still owed (its overhead_owed marker stored, the listener not yet
  // run: a collector killed between the two). Each step: the report read by days equals the full
  // read. Mutations tried, each fails this case: the owed days read from the rollup (not the
  // trials), the partial first day taken from the rollup as a whole day, the listener not run
  // for the late run.
  it('late, replayed and owed trials: read by days, equal to the report from every field', async () => {
    const lateRun = (agent: string, role: 'baseline' | 'guest', daysAgo: bigint, level: number, k: number) =>
      run({
        agent,
        group: 'late',
        role,
        test: 'cpu',
        metric: 'events_per_sec',
        level,
        startNs: NOW_NS - daysAgo * DAY + BigInt(k % 4) * 6n * HOUR - 30n * HOUR,
        extra: { steal_pct: 0.1 * (k % 5), contention_pct: 1 + (k % 3), load1: 1, cpu_mhz: 2400 + k },
        disturbed: k % 6 === 5 ? 'steal' : false,
        ...(k % 9 === 4 ? { ok: [true, false, true] } : {}),
      });
    const runsOf = (daysAgo: bigint) =>
      [0, 1, 2, 3].flatMap((k) => [
        ...lateRun('lb9', 'baseline', daysAgo, 1000, k + Number(daysAgo) * 4),
        ...lateRun('lg9', 'guest', daysAgo, 900, k + Number(daysAgo) * 4),
      ]);
    const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));
    // Stamped after `now` (a clock ahead, not flagged): nobody's latest, in no count.
    const ahead = lateRun('lg9', 'guest', 0n, 900, 1).map((t) => ({ ...t, timeNs: t.timeNs + 33n * HOUR }));
    expect(ahead.every((t) => t.timeNs > NOW_NS && t.timeNs < NOW_NS + 12n * HOUR)).toBe(true);
    await collect([
      ...days(1, 14)
        .filter((d) => d !== 5n && d !== 7n)
        .flatMap(runsOf),
      ...ahead,
    ]);
    const check = async (label: string) => {
      for (const c of [
        { metrics: 'key' as const, excludeDisturbed: false, sinceMs: 10 * 86_400_000 + 5 * 3_600_000 },
        { metrics: 'key' as const, excludeDisturbed: true, sinceMs: 12 * 86_400_000 },
      ]) {
        let selects = 0;
        const store: Store = { ...db.store, select: (x) => (selects++, db.store.select(x)) };
        const { sinceMs, ...o } = c;
        const fast = await buildReport({ store, database: DB, group: 'late', since: sinceMs, now: NOW, ...o });
        expect(JSON.stringify(fast), label).toBe(JSON.stringify(await oldReport(fast, { ...c, group: 'late' })));
        expect(selects, `${label}: read by days`).toBe(0);
      }
    };
    await check('before the late runs');
    // Five days late: the listener rolls up their day again.
    await collect(runsOf(5n));
    await check('a day delivered late');
    // Replayed: the same points, the same day.
    await collect(runsOf(5n));
    await check('a day replayed');
    // Seven days late, stored with its marker, its rollup not yet made: that day is read from the trials.
    const owed = await writeTrials(db.url, DB, runsOf(7n));
    const marker = owedMarkerLine(
      owed.map((w) => w.timestamp_ns),
      NOW_NS,
      'test',
      'lg9',
    );
    const res = await fetch(`${db.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: marker });
    expect(res.status).toBe(204);
    await check('a day whose rollup is owed');
    const lg9 = (await buildReport({ store: db.store, database: DB, group: 'late', since: 12 * 86_400_000, now: NOW })).noise.find((n) => n.agent === 'lg9')!;
    // Its successful trials of the 12 days, counted from what was written: the late and the owed days in.
    const sinceNs = NOW_NS - 12n * DAY;
    const written = days(1, 14)
      .flatMap(runsOf)
      .filter((t) => t.agent === 'lg9' && t.ok !== false && t.timeNs >= sinceNs && t.timeNs <= NOW_NS);
    expect(lg9.trials).toBe(written.length);
    expect(written.filter((t) => t.timeNs < NOW_NS - 6n * DAY && t.timeNs > NOW_NS - 8n * DAY).length).toBeGreaterThan(0);
  });

  // A guest whose only run is today (a partial day, read from the trials, not the rollup): each
  // series' newest trial comes from that day too, and its tail is read back from it (the baseline's
  // from its run at 06:00 today: a day's slack and the 14-day look-back before it; its third trial is at 06:02). Mutation tried:
  // the newest trials taken from the rollup's whole days only (summary-reads.ts newestOf without
  // the partial days) fails it (the same report, but tails read from yesterday's runs back).
  it('a guest that ran only today: read by days, its run shown, equal to the report from every field', async () => {
    const out: TrialSpec[] = [];
    for (let t = NOW_NS - 4n * DAY; t < NOW_NS; t += 6n * HOUR)
      out.push(...run({ agent: 'tb', group: 'today', role: 'baseline', test: 'cpu', metric: 'events_per_sec', level: 1000, startNs: t }));
    out.push(
      ...run({ agent: 'tg', group: 'today', role: 'guest', virt: 'kvm', test: 'cpu', metric: 'events_per_sec', level: 900, startNs: NOW_NS - 3n * HOUR }),
    );
    await collect(out);
    const c = { metrics: 'key' as const, excludeDisturbed: false, group: 'today', sinceMs: 2 * 86_400_000 };
    let selects = 0;
    const tails: Selection[] = [];
    const store: Store = {
      ...db.store,
      select: (x) => (selects++, db.store.select(x)),
      eachSeries: (x, visit) => (tails.push(...x.filter((t) => t.fields?.includes('events_per_sec'))), db.store.eachSeries!(x, visit)),
    };
    const { sinceMs, ...o } = c;
    const fast = await buildReport({ store, database: DB, since: sinceMs, now: NOW, ...o });
    expect(JSON.stringify(fast)).toBe(JSON.stringify(await oldReport(fast, c)));
    expect(fast.sections[0]!.metrics[0]!.results.map((r) => r.system.agent)).toContain('tg');
    expect(selects).toBe(0);
    expect(tails.length).toBeGreaterThan(0);
    expect(tails.reduce((m, t) => (t.where!.from! < m ? t.where!.from! : m), NOW_NS)).toBe(NOW_NS - 6n * HOUR + 120_000_000_000n - 15n * DAY);
  });

  // The 7-day level (report-weeks.ts) on random data: 52 days of runs at random hours of two
  // thread counts, noise at the agent's resolution (ties and zeros; even counts), failed and
  // disturbed trials, days without runs. The older half is written around the collector and
  // filled as a start does (the weeks from the days), the newer half through the listener, then
  // a run delivered 30 days late (its week rolled up again) and a day whose rollup is owed (its
  // week read by days). Each period's report reads whole weeks from the 7-day level and equals the
  // full read. Mutations tried, each fails it: a week's days' medians list without its last day,
  // the week's first successful trial taken from its last day (rg3 and rg4 are there for it), its
  // newest from its first day, the listener not rolling up the weeks, the start fill rolling up
  // none, a week holding an owed day read from the 7-day level, the weeks' lists not parsed, the
  // days read as points left out of the counts, their medians not read.
  it('the 7-day level on random data: whole weeks read from it, equal to the report from every field', async () => {
    const r = mulberry32(2026);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const two = (x: number) => Math.round(x * 100) / 100;
    const systems = [
      { agent: 'rb1', role: 'baseline' as const },
      { agent: 'rb2', role: 'baseline' as const },
      { agent: 'rg1', role: 'guest' as const, virt: 'kvm' },
      { agent: 'rg2', role: 'guest' as const, virt: 'qemu-tcg', variant: 'patched' },
    ];
    const older: TrialSpec[] = [];
    const newer: TrialSpec[] = [];
    const runsOfDay = (d: bigint) =>
      systems
        .flatMap((sys) =>
          [1, 4].flatMap((threads) => {
            // Days without a run of a thread count, but not the last two (a shown run more than a
            // day before its series' newest trial is read from every trial: summary-reads.ts).
            const n = r() < 0.15 && d > 2n ? 0 : 1 + Math.floor(r() * 4);
            return Array.from({ length: n }, () => {
              const startNs = NOW_NS - d * DAY + BigInt(Math.floor(r() * 20 * 60)) * 60_000_000_000n;
              const noise = {
                steal_pct: r() < 0.3 ? 0 : two(r() * r() * 2),
                contention_pct: two(r() * 3),
                load1: pick([1, 1.5, 2, 2.25]),
                cpu_mhz: two(2400 + r() * 10),
              };
              return run({
                ...sys,
                group: 'rand',
                test: 'cpu',
                metric: 'events_per_sec',
                threads,
                level: (sys.role === 'baseline' ? 1000 : 900) / threads,
                startNs,
                extra: r() < 0.1 ? { steal_pct: noise.steal_pct } : noise,
                disturbed: r() < 0.15 ? 'steal' : r() < 0.8 ? false : undefined,
                ...(r() < 0.1 ? { ok: [true, r() < 0.5, true] } : {}),
              }).filter((t) => t.timeNs < NOW_NS);
            });
          }),
        )
        .flat();
    for (let d = 52n; d >= 1n; d--) (d > 26n ? older : newer).push(...runsOfDay(d));
    newer.push(...runsOfDay(0n));
    // Two guests that start within one week (2026-10-22..28), the later-starting one earlier in
    // its days: the noise lines' order comes from each week's first successful trial.
    for (const [agent, from, hour] of [
      ['rg4', 26n, 4n],
      ['rg3', 23n, 0n],
    ] as const)
      for (let d = from; d >= 1n; d--)
        newer.push(
          ...run({
            agent,
            group: 'rand',
            role: 'guest',
            virt: 'kvm',
            test: 'cpu',
            metric: 'events_per_sec',
            threads: 1,
            level: 880,
            startNs: NOW_NS - d * DAY + hour * HOUR,
            extra: { steal_pct: 0.5 },
          }),
        );
    newer.sort((x, y) => (x.timeNs < y.timeNs ? -1 : x.timeNs > y.timeNs ? 1 : 0));
    const query = rawQuery({ url: db.url, database: DB });
    await writeTrials(db.url, DB, older);
    await fillReportRollup(db.store, query, DEFAULT_RETENTION);
    for (let i = 0; i < newer.length; i += 40) await collect(newer.slice(i, i + 40));
    const late = runsOfDay(30n).map((t) => ({ ...t, timeNs: t.timeNs + 7n * HOUR, runId: `${t.runId}-late` }));
    await collect(late);
    const owed = await writeTrials(
      db.url,
      DB,
      runsOfDay(19n).map((t) => ({ ...t, timeNs: t.timeNs + 3n * HOUR, runId: `${t.runId}-owed` })),
    );
    const marker = owedMarkerLine(
      owed.map((w) => w.timestamp_ns),
      NOW_NS,
      'test',
      'rg1',
    );
    expect((await fetch(`${db.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: marker })).status).toBe(204);
    let weekly = false;
    for (const sinceMs of [9.3, 16.9, 30, 44.55, 51].map((d) => Math.round(d * 86_400_000)))
      for (const excludeDisturbed of [false, true]) {
        const c = { metrics: 'key' as const, excludeDisturbed, group: 'rand', sinceMs };
        const levels: string[] = [];
        let selects = 0;
        const store: Store = {
          ...db.store,
          select: (x) => (selects++, db.store.select(x)),
          // The days beside the whole buckets are read as their rollup points (summary-reads.ts rolledPoints).
          selectMany: (x) => (levels.push(...x.map((q) => `${q.measurement} points`)), db.store.selectMany(x)),
          summarize: (x) => (levels.push(...x.map((q) => q.measurement)), db.store.summarize!(x)),
          eachSeries: (x, visit) => (levels.push(...x.map((q) => q.measurement)), db.store.eachSeries!(x, visit)),
        };
        const fast = await buildReport({ store, database: DB, since: sinceMs, now: NOW, group: 'rand', metrics: 'key', excludeDisturbed });
        expect(JSON.stringify(fast), JSON.stringify(c)).toBe(JSON.stringify(await oldReport(fast, c)));
        expect(selects).toBe(0);
        // 30 days and more hold whole weeks without an owed day (this test's 19 days ago, the late test's 7).
        if (sinceMs >= 30 * 86_400_000) expect(levels, JSON.stringify(c)).toContain('sysbench_report_7d');
        if (sinceMs >= 30 * 86_400_000) expect(levels, JSON.stringify(c)).toContain('sysbench_report_1d points');
        weekly ||= levels.includes('sysbench_report_7d');
        expect(fast.noise.map((n) => n.agent).sort()).toEqual(['rb1', 'rb2', 'rg1', 'rg2', 'rg3', 'rg4']);
        expect(fast.sections.map((sec) => sec.threads)).toEqual([1, 4]);
      }
    expect(weekly).toBe(true);
  });

  it('a result stored with a wrong clock in the period: every trial is read (the summaries cannot leave it out)', async () => {
    let selects = 0;
    const store: Store = { ...db.store, select: (s) => (selects++, db.store.select(s)) };
    await buildReport({ store, database: DB, group: 'lab', since: SINCE_MS, now: NOW });
    expect(selects).toBeGreaterThan(0);
  });

  it('a thread count only in older trials: every trial is read, the same report (leaving the count check out fails it)', async () => {
    const out: TrialSpec[] = [];
    for (let t = NOW_NS - 20n * DAY, k = 0; t < NOW_NS; t += 6n * HOUR, k++) {
      const base = { group: 'gone', test: 'cpu' as const, metric: 'events_per_sec', startNs: t };
      out.push(...run({ ...base, agent: 'gb', role: 'baseline', level: 1000 }));
      out.push(...run({ ...base, agent: 'gg', role: 'guest', virt: 'kvm', level: 900, ...(k < 20 ? { threads: 4 } : {}) }));
    }
    await collect(out);
    let selects = 0;
    const store: Store = { ...db.store, select: (s) => (selects++, db.store.select(s)) };
    const c = { metrics: 'key' as const, excludeDisturbed: false, group: 'gone', sinceMs: 18 * 86_400_000 };
    const { sinceMs, ...o } = c;
    const fast = await buildReport({ store, database: DB, since: sinceMs, now: NOW, ...o });
    expect(JSON.stringify(fast)).toBe(JSON.stringify(await oldReport(fast, c)));
    expect(fast.sections.map((s) => s.threads)).toEqual([1, 4]);
    expect(selects).toBeGreaterThan(0);
  });

  it('a period with no data is an empty report on both', async () => {
    const old = new Date(Date.UTC(2020, 0, 1));
    const fast = await buildReport({ store: db.store, database: DB, since: 86_400_000, now: old });
    expect(fast.sections).toEqual([]);
    expect(fast.noise).toEqual([]);
  });

  it('variants: B against A equals the comparison of the rows read with every field', async () => {
    const o = { group: 'lab', test: 'cpu', metric: 'events_per_sec', variantA: 'default', variantB: 'patched', since: new Date(0) };
    const fast = await compareVariants({ store: db.store, ...o });
    const rows = (v: string) =>
      querySysbench(db.influx, DB, `${eq('group', 'lab')} AND ${eq('test', 'cpu')} AND ${eq('variant', v)} AND ${eq('role', 'guest')} AND time >= 0`);
    const [a, b] = [(await rows('default')).filter((r) => r.ok), (await rows('patched')).filter((r) => r.ok)];
    expect(fast.length).toBeGreaterThan(0);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(compareVariantRows(a, b, 'events_per_sec', o)));
  });

  it('nested stacks: each layer shows its newest overhead_chain point per test, metric and comparison (now read alone)', async () => {
    const t = (h: bigint) => NOW_NS - h * HOUR;
    await collect([
      ...run({ agent: 'root', group: 'stack', role: 'baseline', test: 'cpu', metric: 'events_per_sec', level: 1000, startNs: t(30n) }),
      ...run({ agent: 'l1', group: 'stack', role: 'guest', test: 'cpu', metric: 'events_per_sec', level: 800, startNs: t(30n) }).map((x) => ({
        ...x,
        parent: 'root',
      })),
    ]);
    // Points of one layer in two series (two profiles) at several times: the newest across them is shown.
    const point = (profile: string, against: string, hoursAgo: bigint, ratio: number) => ({
      measurement: 'overhead_chain' as const,
      tags: { agent: 'l1', group: 'stack', role: 'guest', test: 'cpu', profile, metric: 'events_per_sec', baseline_agent: 'root', against },
      fields: { ratio, overhead_pct: (1 / ratio - 1) * 100, ci_low_pct: 1, ci_high_pct: 2 },
      timestamp: t(hoursAgo).toString(),
    });
    await db.store.write([
      point('seed', 'parent', 30n, 0.9),
      point('other', 'parent', 20n, 0.8),
      point('seed', 'parent', 25n, 0.7),
      point('seed', 'root', 10n, 0.6),
      point('other', 'root', 28n, 0.5),
    ]);
    const [stack] = await buildChainReport({ store: db.store, group: 'stack', since: new Date(Number(t(48n) / 1_000_000n)) });
    const l1 = stack!.chains[0]!.find((l) => l.agent === 'l1')!;
    expect(l1.costs).toHaveLength(1);
    expect(l1.costs[0]!.layer!.ratio).toBe(0.8);
    expect(l1.costs[0]!.whole!.ratio).toBe(0.6);
  });
});
