// The report end to end: results written to a real influxd, the report built from them,
// the terminal table read, the HTML opened in headless Chromium and screenshotted.
// Expected numbers are worked out by hand from the literal inputs; each comparison's interval,
// p and verdict come from lib/compare/reference.py (cases report_*, the engine's definitions
// written out with scipy), frozen in lib/compare/reference.json.
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { influxdFixture } from './support/fixture.js';
import { influxStore } from '../collector/store/influx.js';
import { writeTrials, type TrialSpec } from './support/sysbench-points.js';
import { buildReport, formatReportTable, renderHtmlReport, type Report } from '../collector/report/index.js';
import { run as runReportCommand } from '../cli/commands/report.js';
import { compareVariants } from '../collector/overhead/index.js';

const REF = JSON.parse(readFileSync(join(import.meta.dirname, '../lib/compare/reference.json'), 'utf8')) as Record<
  string,
  { expected: { verdict: string; low: number; high: number; p: number; noise_floor: number } }
>;
const expected = (name: string) => REF[name]!.expected;

const DB = 'report_test';
const NOW = new Date();
const START = BigInt(NOW.getTime() - 3_600_000) * 1_000_000n; // an hour ago, in ns
const MIN = 60_000_000_000n;

let influx: InfluxDB;
let report: Report;

function run(
  agent: string,
  role: 'baseline' | 'guest',
  virt: string,
  test: string,
  metric: string,
  values: number[],
  variant = 'default',
  offset = 0n,
): TrialSpec[] {
  return values.map((v, i) => ({
    agent,
    group: 'lab',
    role,
    virt,
    variant,
    test,
    runId: `${agent}-${test}-${variant}`,
    trial: i + 1,
    timeNs: START + offset + BigInt(i) * MIN,
    values: { [metric]: v },
  }));
}

const fx = influxdFixture('report-test-');
const dir = fx.dir;

beforeAll(async () => {
  influx = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database: DB });
  await influx.createDatabase(DB);
  await writeTrials(fx.influxd.url, DB, [
    ...run('host-a', 'baseline', 'none', 'cpu', 'events_per_sec', [100, 110, 90]),
    ...run('vm1', 'guest', 'kvm', 'cpu', 'events_per_sec', [80, 82, 78]),
    ...run('vm2', 'guest', 'qemu-tcg', 'cpu', 'events_per_sec', [3, 3.1, 2.9]),
    ...run('host-a', 'baseline', 'none', 'mutex', 'total_time_s', [0.03, 0.031, 0.029], 'default', 10n * MIN),
    ...run('vm1', 'guest', 'kvm', 'mutex', 'total_time_s', [0.06, 0.066, 0.054], 'default', 10n * MIN),
    ...run('vm1', 'guest', 'kvm', 'mutex', 'total_time_s', [0.05, 0.055, 0.045], 'patched', 20n * MIN),
  ]);
  report = await buildReport({ store: influxStore({ url: fx.influxd.url, database: DB }), database: DB, since: 24 * 3_600_000, now: NOW });
});

describe('report data', () => {
  it('cpu: native, kvm and tcg side by side with ratios, CIs and Welch', () => {
    const cpu = report.sections.find((s) => s.test === 'cpu')!;
    expect(cpu.reference?.agent).toBe('host-a');
    const m = cpu.metrics.find((x) => x.metric === 'events_per_sec')!;
    expect(m.results.map((r) => r.system.label)).toEqual(['native host-a', 'kvm vm1', 'qemu-tcg vm2']);
    const [native, kvm, tcg] = m.results;
    expect(native!.mean).toBeCloseTo(100, 12);
    expect(native!.vsReference).toBeNull();
    // kvm mean 80: ratio 0.8, overhead (100/80 − 1)·100 = 25 %; 95 % CI of its mean (its trials)
    // 80 ± 4.302653·2/√3 (scipy: 75.03172, 84.96828).
    expect(kvm!.ciLow).toBeCloseTo(75.03172457649934, 6);
    expect(kvm!.ciHigh).toBeCloseTo(84.96827542350066, 6);
    expect(kvm!.vsReference!.ratio).toBeCloseTo(0.8, 12);
    expect(kvm!.vsReference!.overheadPct).toBeCloseTo(25, 10);
    // One run a side: each side's run-to-run spread is assumed from the prior (its trials' 10 % scatter):
    // +25 % [−36 %, +145 %], inconclusive (report_kvm).
    expect(kvm!.vsReference!.p).toBeCloseTo(expected('report_kvm').p, 9);
    expect(kvm!.vsReference!.overheadLowPct).toBeCloseTo(expected('report_kvm').low, 6);
    expect(kvm!.vsReference!.verdict).toBe('inconclusive');
    expect(kvm!.normalized).toBeCloseTo(0.8, 12); // best = native 100
    // tcg mean 3: ratio 0.03, overhead (100/3 − 1)·100 (report_tcg).
    expect(tcg!.vsReference!.ratio).toBeCloseTo(0.03, 12);
    expect(tcg!.vsReference!.overheadPct).toBeCloseTo((100 / 3 - 1) * 100, 8);
    expect(tcg!.vsReference!.p).toBeCloseTo(expected('report_tcg').p, 9);
    expect(tcg!.vsReference!.verdict).toBe('worse');
  });
  it('mutex (a time): lower is better, normalised best/value, variants kept apart', () => {
    const mutex = report.sections.find((s) => s.test === 'mutex')!;
    const m = mutex.metrics.find((x) => x.metric === 'total_time_s')!;
    expect(m.direction).toBe('lower');
    expect(m.results.map((r) => r.system.label)).toEqual(['native host-a', 'kvm vm1', 'kvm vm1 [patched]']);
    const [, stock, patched] = m.results;
    // stock mean 0.06 vs 0.03: ratio 2, overhead (2 − 1)·100 = 100 %, worse at mutex's 10 % margin (report_mutex).
    expect(stock!.vsReference!.overheadPct).toBeCloseTo(100, 8);
    expect(stock!.vsReference!.p).toBeCloseTo(expected('report_mutex').p, 9);
    expect(stock!.vsReference!).toMatchObject({ verdict: 'worse', marginPct: 10 });
    // The patched run is its own series (its variant): no history from the stock run (report_mutex_patched).
    expect(patched!.vsReference!.overheadLowPct).toBeCloseTo(expected('report_mutex_patched').low, 6);
    expect(stock!.normalized).toBeCloseTo(0.5, 12); // 0.03 / 0.06
    expect(patched!.vsReference!.ratio).toBeCloseTo(0.05 / 0.03, 12);
  });
});

describe('variant comparison', () => {
  it('patched vs stock mutex time: like with like, paired on their shared host (report_variants)', async () => {
    const since = new Date(NOW.getTime() - 86_400_000);
    const [c, ...more] = await compareVariants({
      store: influxStore({ url: fx.influxd.url, database: DB }),
      group: 'lab',
      test: 'mutex',
      metric: 'total_time_s',
      variantA: 'default',
      variantB: 'patched',
      since,
    });
    expect(more).toEqual([]); // one profile and thread count
    expect(c).toMatchObject({
      virt: 'kvm',
      profile: 'seed',
      threads: 1,
      runsA: 1,
      runsB: 1,
      nA: 3,
      nB: 3,
      hostsA: ['vm1'],
      hostsB: ['vm1'],
      paired: true,
      pairs: 1,
    });
    // Guests only by default: the native baseline (variant 'default' too) is left out; with it, it is
    // still never mixed with the guests: another virt is another comparison (here with no B).
    const withBaseline = await compareVariants({
      store: influxStore({ url: fx.influxd.url, database: DB }),
      group: 'lab',
      test: 'mutex',
      metric: 'total_time_s',
      variantA: 'default',
      variantB: 'patched',
      role: 'any',
      since,
    });
    expect(withBaseline.map((x) => [x.virt, x.runsA, x.runsB, x.pairs, x.comparison.verdict])).toEqual([
      ['kvm', 1, 1, 1, 'inconclusive'],
      ['none', 1, 0, 0, 'unmeasurable'],
    ]);
    expect(c!.meanA).toBeCloseTo(0.06, 12);
    expect(c!.meanB).toBeCloseTo(0.05, 12);
    // B is faster: a time metric, change (0.05/0.06 − 1)·100 = −16.7 % (negative = B better).
    expect(c!.changePct).toBeCloseTo((0.05 / 0.06 - 1) * 100, 10);
    const e = expected('report_variants');
    expect(c!.comparison.overheadLowPct).toBeCloseTo(e.low, 6);
    expect(c!.comparison.overheadHighPct).toBeCloseTo(e.high, 6);
    expect(c!.comparison.p).toBeCloseTo(e.p, 9);
    expect(c!.comparison.verdict).toBe('inconclusive');
    expect(c!.margin).toMatchObject({ marginPct: 10, source: 'default' }); // the table, never A's noise
    await expect(
      compareVariants({
        store: influxStore({ url: fx.influxd.url, database: DB }),
        group: 'lab',
        test: 'mutex',
        metric: 'total_time_s',
        variantA: 'default',
        variantB: 'nope',
        since: new Date(0),
      }),
    ).rejects.toThrow(/no total_time_s results for variant 'nope'/);
  });
});

describe('report output', () => {
  it('terminal table reads native | kvm | tcg with intervals and verdicts', () => {
    const text = formatReportTable(report);
    const header = text.split('\n').find((l) => l.startsWith('events_per_sec'))!;
    expect(header.indexOf('native host-a')).toBeLessThan(header.indexOf('kvm vm1'));
    expect(header.indexOf('kvm vm1')).toBeLessThan(header.indexOf('qemu-tcg vm2'));
    expect(text).toContain('== cpu · group lab · profile seed · 1 thread ==');
    expect(text).toMatch(/ratio to baseline\s+1\s+0\.800 \[/);
    expect(text).toContain('baseline: native host-a');
    expect(text).toMatch(/overhead\s+—\s+\+25\.0% \[/);
    expect(text).toMatch(/verdict\s+—\s+inconclusive: noise 31\.9 % exceeds the margin 3 % \(margin ±3%, noise ±32%\)/);
    // The verdict stands alone: a Welch p beside it could read as a second answer (it stays in JSON).
    expect(text).not.toContain('p=');
    expect(text).toContain('worse by 3233% (margin ±3%, noise ±32%)');
  });

  it('the CLI prints the same table and JSON, and writes the HTML', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const html = join(dir, 'cli.html');
    try {
      expect(await runReportCommand(['--influx', fx.influxd.url, '--database', DB, '--since', '1d', '--json', '--html', html])).toBe(0);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    const json = JSON.parse(out.join('')) as Report;
    expect(json.sections.map((s) => s.test)).toEqual(['cpu', 'mutex']);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
    await expect(runReportCommand(['--influx', 'not a url'])).rejects.toThrow(/not an InfluxDB URL/);
    await expect(runReportCommand(['--since', 'forever'])).rejects.toThrow(/duration/);
  });

  it("--compare A,B: variant B against A per profile and threads, runs and hosts of each, paired where they share a host (the report's second experiment)", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    try {
      expect(await runReportCommand(['--influx', fx.influxd.url, '--database', DB, '--since', '1d', '--group', 'lab', '--compare', 'default,patched'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    // mutex total_time_s of vm1: default 0.06, 0.066, 0.054 (mean 0.060); patched 0.05, 0.055, 0.045 (mean 0.050).
    // Lower is better: change = (0.050/0.060 - 1)·100 = -16.7 % (better); one pair of runs on one host.
    const line = text.split('\n').find((l) => l.startsWith('mutex') && l.includes('total_time_s'))!;
    expect(line).toMatch(/kvm, seed, 1\s+0\.0600 \(1, 1 host\)\s+0\.0500 \(1, 1 host\)\s+-16\.7% \[/);
    expect(line).toMatch(/paired \(1\)\s+inconclusive: noise 31\.9 % exceeds the margin 10 % \(margin ±10%, noise ±32%\)$/);
    // cpu has only the default variant: nothing to compare, so no cpu row.
    expect(text).not.toMatch(/^cpu/m);
    await expect(runReportCommand(['--compare', 'default', '--group', 'lab'])).rejects.toThrow(/two variant names/);
    await expect(runReportCommand(['--compare', 'a,b'])).rejects.toThrow(/needs --group/);
  });

  it('HTML is self-contained and every chart draws in headless Chromium', async () => {
    const html = renderHtmlReport(report);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    if (!existsSync('/usr/bin/chromium')) throw new Error('chromium missing: apt-get install -y --no-install-recommends chromium');
    // playwright gives Chromium a fresh temporary profile of its own.
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.setContent(html, { waitUntil: 'load' });
      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((svg) => {
          const bars = [...svg.querySelectorAll('rect.bar')].map((r) => (r as SVGGraphicsElement).getBBox());
          const box = svg.getBoundingClientRect();
          const width = (svg as SVGSVGElement).viewBox.baseVal.width;
          const legends = [...svg.querySelectorAll('text.legend')].map((t) => (t as SVGGraphicsElement).getBBox());
          return {
            legends: legends.length,
            legendsInside: legends.every((b) => b.x + b.width <= width),
            bars: bars.length,
            drawn: bars.filter((b) => b.width > 0 && b.height > 0).length,
            whiskers: svg.querySelectorAll('path.whisker').length,
            w: box.width,
            h: box.height,
          };
        }),
      );
      expect(charts).toHaveLength(report.sections.length);
      for (const c of charts) {
        expect(c.bars).toBeGreaterThan(0);
        expect(c.drawn).toBe(c.bars);
        expect(c.whiskers).toBe(c.bars - 1); // every guest's ratio has its interval; the baseline is 1 exactly
        expect(c.legends).toBe(3); // one entry per system, none clipped
        expect(c.legendsInside).toBe(true);
        expect(c.w).toBeGreaterThan(100);
        expect(c.h).toBeGreaterThan(100);
      }
      expect(requests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:'))).toEqual([]);
      mkdirSync('test/artifacts', { recursive: true });
      await page.screenshot({ path: 'test/artifacts/report.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
