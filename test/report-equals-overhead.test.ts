// One question, one answer (issue 12 item 3): on the same stored trials, the report's comparison
// cells equal the collector's stored `overhead` fields, to the last printed digit and exactly in
// value. Real influxd; the calculator and the report each read what they need back from it.
import { InfluxDB } from 'influx';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from './support/fixture.js';
import { createOverheadCalculator } from '../collector/overhead/index.js';
import { influxStore } from '../collector/store/influx.js';
import { writeTrials, type TrialSpec } from './support/sysbench-points.js';
import { buildReport, type Report } from '../collector/report/index.js';
import { fmtMargin, fmtOverheadCell, fmtRatioCell, fmtVerdict } from '../collector/report/format.js';

const DB = 'equal_test';
const NOW = new Date();
const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const START = BigInt(NOW.getTime()) * 1_000_000n - 10n * HOUR;

let influx: InfluxDB;
let report: Report;
type Row = Record<string, any>;

function run(agent: string, role: 'baseline' | 'guest', runId: string, at: bigint, rows: Array<Record<string, number>>, variant = 'default'): TrialSpec[] {
  return rows.map((values, i) => ({
    agent,
    group: 'eq',
    role,
    virt: role === 'baseline' ? 'none' : 'kvm',
    variant,
    test: 'cpu',
    runId,
    trial: i + 1,
    timeNs: at + BigInt(i) * MIN,
    values,
  }));
}
const cpu = (eps: number[], lat: number[]) => eps.map((e, i) => ({ events_per_sec: e, latency_avg_ms: lat[i]!, latency_pct_ms: lat[i]! * 1.2 }));

const fx = influxdFixture('report-eq-');

beforeAll(async () => {
  influx = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database: DB });
  await influx.createDatabase(DB);
  // Four baseline runs an hour apart, one of them before the report's period; guests: an A/A-like
  // one with two earlier runs (one before the period), a slower one with two earlier runs, one with
  // a single trial, one at resolution.
  const written = await writeTrials(fx.influxd.url, DB, [
    ...run('host', 'baseline', 'b1', START, cpu([1000.12, 1001.5, 999.3], [1.01, 1.0, 1.02])),
    ...run('host', 'baseline', 'b2', START + HOUR, cpu([1004.2, 1003.1, 1005.0], [1.0, 0.99, 1.0])),
    ...run('host', 'baseline', 'b3', START + 2n * HOUR, cpu([998.7, 997.9, 999.9], [1.02, 1.01, 1.01])),
    ...run('host', 'baseline', 'b4', START + 3n * HOUR, cpu([1001.8, 1002.6, 1000.4], [1.0, 1.0, 1.01])),
    ...run('same', 'guest', 'g0a', START - 2n * HOUR, cpu([1001.5, 1000.2, 1002.0], [1.0, 1.0, 1.01])),
    ...run('same', 'guest', 'g0b', START + HOUR + 10n * MIN, cpu([999.1, 1000.4, 998.8], [1.01, 1.0, 1.0])),
    ...run('same', 'guest', 'g1', START + 3n * HOUR + 10n * MIN, cpu([1000.9, 1002.2, 1001.1], [1.0, 1.01, 1.0])),
    ...run('slow', 'guest', 'g2a', START + HOUR + 20n * MIN, cpu([901.2, 899.7, 900.5], [1.11, 1.1, 1.11])),
    ...run('slow', 'guest', 'g2b', START + 2n * HOUR + 20n * MIN, cpu([898.9, 900.1, 901.0], [1.1, 1.11, 1.1])),
    ...run('slow', 'guest', 'g2', START + 3n * HOUR + 20n * MIN, cpu([900.4, 902.8, 899.1], [1.11, 1.12, 1.1])),
    ...run('once', 'guest', 'g3', START + 3n * HOUR + 30n * MIN, cpu([950.5], [1.05])),
    ...run('alone', 'guest', 'g5', START + 3n * HOUR, cpu([990.1, 991.7, 989.9], [1.0, 1.01, 1.0])).map((t) => ({ ...t, group: 'lonely' })),
    ...run('tiny', 'guest', 'g4', START + 3n * HOUR + 40n * MIN, [
      { events_per_sec: 1000.5, latency_avg_ms: 0.02, latency_pct_ms: 0.03 },
      { events_per_sec: 1001.5, latency_avg_ms: 0.02, latency_pct_ms: 0.03 },
    ]),
  ]);
  await createOverheadCalculator({ store: influxStore({ url: fx.influxd.url, database: DB }) }).onResultsWritten(written);
  // The period starts after b1: the report must still use it for the margin, as the collector does.
  report = await buildReport({
    store: influxStore({ url: fx.influxd.url, database: DB }),
    database: DB,
    since: new Date(Number((START + 30n * MIN) / 1_000_000n)),
    now: NOW,
    metrics: 'all',
  });
});

describe('report equals the stored overhead', () => {
  it('every guest cell of the report equals its overhead point, digit for digit and value for value', async () => {
    const stored = (await influx.query(`SELECT * FROM "overhead"`, { database: DB })) as unknown as Row[];
    const section = report.sections.find((s) => s.group === 'eq' && s.test === 'cpu')!;
    let compared = 0;
    for (const m of section.metrics) {
      for (const r of m.results) {
        if (r.system.role !== 'guest') continue;
        const c = r.vsReference!;
        const p = stored.find((x) => x.agent === r.system.agent && x.run_id === c.runId && x.metric === m.metric && x.baseline_agent === 'host');
        expect(p, `${r.system.agent} ${m.metric}`).toBeDefined();
        const fromStore = {
          verdict: p!.verdict,
          reason: p!.verdict_reason,
          marginPct: p!.margin_pct,
          ratio: p!.ratio,
          ratioLow: null,
          ratioHigh: null,
          overheadPct: p!.overhead_pct,
          overheadLowPct: p!.ci_low_pct,
          overheadHighPct: p!.ci_high_pct,
          p: p!.p,
          moreRuns: p!.more_runs,
          noiseFloorPct: p!.noise_floor_pct,
        };
        expect(fmtOverheadCell(c)).toBe(fmtOverheadCell(fromStore));
        expect(fmtVerdict(c)).toBe(fmtVerdict(fromStore));
        expect(fmtMargin(c.marginPct)).toBe(fmtMargin(p!.margin_pct));
        expect(fmtRatioCell({ ...c, ratioLow: null, ratioHigh: null })).toBe(fmtRatioCell(fromStore));
        // Not only the printed digits: the same numbers (floats survive InfluxDB's JSON round trip).
        expect([
          c.verdict,
          c.overheadPct,
          c.overheadLowPct,
          c.overheadHighPct,
          c.marginPct,
          c.p,
          c.moreRuns,
          c.baselineRunId,
          c.nCandidate,
          c.nReference,
          c.runsCandidate,
          c.runsReference,
          c.noiseFloorPct,
          c.candidateRunSdPct,
          c.referenceRunSdPct,
          c.reason,
        ]).toEqual([
          p!.verdict,
          p!.overhead_pct,
          p!.ci_low_pct,
          p!.ci_high_pct,
          p!.margin_pct,
          p!.p,
          p!.more_runs,
          p!.baseline_run_id,
          p!.n_guest,
          p!.n_baseline,
          p!.runs_guest,
          p!.runs_baseline,
          p!.noise_floor_pct,
          p!.guest_run_sd_pct,
          p!.baseline_run_sd_pct,
          p!.verdict_reason,
        ]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(4 * 3 - 1);
  });

  it('a group without a baseline: the guest is unmeasurable, with the reason, and no number', () => {
    const lonely = report.sections.find((s) => s.group === 'lonely')!;
    const c = lonely.metrics.find((m) => m.metric === 'events_per_sec')!.results[0]!.vsReference!;
    expect(c).toMatchObject({ verdict: 'unmeasurable', reason: 'no baseline agent in this group', ratio: null, overheadPct: null });
    expect(fmtVerdict(c)).toBe('unmeasurable: no baseline agent in this group');
  });

  it('the cases read as a careful reader would expect', () => {
    const eps = report.sections.find((s) => s.group === 'eq')!.metrics.find((m) => m.metric === 'events_per_sec')!;
    const by = (agent: string) => eps.results.find((r) => r.system.agent === agent)!.vsReference!;
    // The margin is the table's (cpu events/s: 3 %), never the data's; the baseline is its 4 runs
    // (b1 lies before the period), and 'same' learns its spread from 2 earlier runs (one before the period).
    expect(by('same').margin).toEqual({ marginPct: 3, source: 'default', rule: 'table' });
    expect(by('same')).toMatchObject({ runsReference: 4, runsCandidate: 1 });
    expect(by('same').referenceRunIds).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(['equivalent', 'inconclusive']).toContain(by('same').verdict);
    // 10 % slower with two earlier runs that agree: worse. (Its first run alone, with the spread
    // only assumed, could not say so: a new guest's verdicts firm up as its runs accrue.)
    expect(by('slow').verdict).toBe('worse');
    // One trial is still one run: its spread comes from the prior, so it has an interval.
    expect(by('once')).toMatchObject({ nCandidate: 1, runsCandidate: 1 });
    expect(by('once').overheadLowPct).not.toBeNull();
    // 0.02 ms is within 10 steps of 0 at 0.01 ms: unmeasurable, with no number that looks precise.
    const lat = report.sections.find((s) => s.group === 'eq')!.metrics.find((m) => m.metric === 'latency_avg_ms')!;
    const tiny = lat.results.find((r) => r.system.agent === 'tiny')!.vsReference!;
    expect(tiny.verdict).toBe('unmeasurable');
    expect(fmtOverheadCell(tiny)).toBe('—');
  });
});
