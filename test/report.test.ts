// The report end to end: results written to a real influxd, the report built from them,
// the terminal table read, the HTML opened in headless Chromium and screenshotted.
// Expected numbers are worked out by hand from the literal inputs, or (p-values) taken from
// scipy 1.17 `stats.ttest_ind(a, b, equal_var=False)` as quoted.
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../collector/influx/influxd.js';
import { writeTrials, type TrialSpec } from '../collector/overhead/testing/sysbench-points.js';
import { buildReport, formatReportTable, renderHtmlReport, type Report } from '../collector/report/index.js';
import { run as runReportCommand } from '../cli/commands/report.js';
import { compareVariants } from '../collector/overhead/index.js';

const DB = 'report_test';
const NOW = new Date();
const START = BigInt(NOW.getTime() - 3_600_000) * 1_000_000n; // an hour ago, in ns
const MIN = 60_000_000_000n;

let influxd: InfluxdHandle;
let influx: InfluxDB;
let dir: string;
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-test-'));
  influxd = await startInfluxd({ dir });
  influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: DB });
  await influx.createDatabase(DB);
  await writeTrials(influxd.url, DB, [
    ...run('host-a', 'baseline', 'none', 'cpu', 'events_per_sec', [100, 110, 90]),
    ...run('vm1', 'guest', 'kvm', 'cpu', 'events_per_sec', [80, 82, 78]),
    ...run('vm2', 'guest', 'qemu-tcg', 'cpu', 'events_per_sec', [3, 3.1, 2.9]),
    ...run('host-a', 'baseline', 'none', 'mutex', 'total_time_s', [0.03, 0.031, 0.029], 'default', 10n * MIN),
    ...run('vm1', 'guest', 'kvm', 'mutex', 'total_time_s', [0.06, 0.066, 0.054], 'default', 10n * MIN),
    ...run('vm1', 'guest', 'kvm', 'mutex', 'total_time_s', [0.05, 0.055, 0.045], 'patched', 20n * MIN),
  ]);
  report = await buildReport({ influx, database: DB, since: 24 * 3_600_000, now: NOW });
});

afterAll(async () => {
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
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
    // kvm mean 80: ratio 0.8, overhead (100/80 − 1)·100 = 25 %; 95 % CI of its mean
    // 80 ± 4.302653·2/√3 (scipy: 75.03172, 84.96828); scipy Welch p = 0.06895 (not significant).
    expect(kvm!.ciLow).toBeCloseTo(75.03172457649934, 6);
    expect(kvm!.ciHigh).toBeCloseTo(84.96827542350066, 6);
    expect(kvm!.vsReference!.ratio).toBeCloseTo(0.8, 12);
    expect(kvm!.vsReference!.overheadPct).toBeCloseTo(25, 10);
    expect(kvm!.vsReference!.p).toBeCloseTo(0.06895280893567197, 6);
    // Interval +25 % [−0.7 %, +57.4 %] straddles the default 3 % margin (lib/compare/compare.test.ts).
    expect(kvm!.vsReference!.verdict).toBe('inconclusive');
    expect(kvm!.normalized).toBeCloseTo(0.8, 12); // best = native 100
    // tcg mean 3: ratio 0.03, overhead (100/3 − 1)·100; scipy Welch p = 0.0035213.
    expect(tcg!.vsReference!.ratio).toBeCloseTo(0.03, 12);
    expect(tcg!.vsReference!.overheadPct).toBeCloseTo((100 / 3 - 1) * 100, 8);
    expect(tcg!.vsReference!.p).toBeCloseTo(0.0035212792843734367, 6);
    expect(tcg!.vsReference!.verdict).toBe('worse');
  });
  it('mutex (a time): lower is better, normalised best/value, variants kept apart', () => {
    const mutex = report.sections.find((s) => s.test === 'mutex')!;
    const m = mutex.metrics.find((x) => x.metric === 'total_time_s')!;
    expect(m.direction).toBe('lower');
    expect(m.results.map((r) => r.system.label)).toEqual(['native host-a', 'kvm vm1', 'kvm vm1 [patched]']);
    const [, stock, patched] = m.results;
    // stock mean 0.06 vs 0.03: ratio 2, overhead (2 − 1)·100 = 100 %; scipy Welch p = 0.011373.
    expect(stock!.vsReference!.overheadPct).toBeCloseTo(100, 8);
    expect(stock!.vsReference!.p).toBeCloseTo(0.011372536273903142, 6);
    expect(stock!.normalized).toBeCloseTo(0.5, 12); // 0.03 / 0.06
    expect(patched!.vsReference!.ratio).toBeCloseTo(0.05 / 0.03, 12);
  });
});

describe('variant comparison', () => {
  it('patched vs stock mutex time: difference, CI and Welch (scipy: t = -2.21766, df = 3.87402, p = 0.093044, CI -0.0226819 … 0.0026819)', async () => {
    const c = await compareVariants({
      influx,
      database: DB,
      group: 'lab',
      test: 'mutex',
      metric: 'total_time_s',
      variantA: 'default',
      variantB: 'patched',
      since: new Date(NOW.getTime() - 86_400_000),
    });
    expect(c.nA).toBe(3);
    expect(c.nB).toBe(3);
    // Guests only by default: the native baseline (variant 'default' too) is left out.
    const withBaseline = await compareVariants({
      influx,
      database: DB,
      group: 'lab',
      test: 'mutex',
      metric: 'total_time_s',
      variantA: 'default',
      variantB: 'patched',
      role: 'any',
      since: new Date(NOW.getTime() - 86_400_000),
    });
    expect(withBaseline.nA).toBe(6);
    const g = await compareVariants({
      influx,
      database: DB,
      group: 'lab',
      test: 'mutex',
      metric: 'total_time_s',
      variantA: 'default',
      variantB: 'patched',
      agent: 'vm1',
      since: new Date(NOW.getTime() - 86_400_000),
    });
    expect(g.meanA).toBeCloseTo(0.06, 12);
    expect(g.meanB).toBeCloseTo(0.05, 12);
    expect(g.diff).toBeCloseTo(-0.01, 12);
    expect(g.t).toBeCloseTo(-2.217663812863715, 8);
    expect(g.df).toBeCloseTo(3.87402394586153, 8);
    expect(g.p).toBeCloseTo(0.09304439540771627, 8);
    expect(g.diffLow).toBeCloseTo(-0.02268188930089527, 8);
    expect(g.diffHigh).toBeCloseTo(0.0026818893008952946, 8);
    expect(g.comparison.verdict).toBe('inconclusive');
    // B is faster: a time metric, change (0.05/0.06 − 1)·100 = −16.7 % (negative = B better).
    expect(g.changePct).toBeCloseTo((0.05 / 0.06 - 1) * 100, 10);
    await expect(
      compareVariants({ influx, database: DB, group: 'lab', test: 'mutex', metric: 'total_time_s', variantA: 'default', variantB: 'nope', since: new Date(0) }),
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
    expect(text).toMatch(/verdict\s+—\s+inconclusive: ~2 more trials per side \(margin ±3%\)/);
    // The verdict stands alone: a Welch p beside it could read as a second answer (it stays in JSON).
    expect(text).not.toContain('p=');
    expect(text).toContain('worse by 3233% (margin ±3%)');
  });

  it('the CLI prints the same table and JSON, and writes the HTML', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const html = join(dir, 'cli.html');
    try {
      expect(await runReportCommand(['--influx', influxd.url, '--database', DB, '--since', '1d', '--json', '--html', html])).toBe(0);
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

  it("--compare A,B: variant B against A with change, interval and Welch (the report's second experiment)", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    try {
      expect(await runReportCommand(['--influx', influxd.url, '--database', DB, '--since', '1d', '--group', 'lab', '--compare', 'default,patched'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    // mutex total_time_s of vm1: default 0.06, 0.066, 0.054 (mean 0.060); patched 0.05, 0.055, 0.045 (mean 0.050).
    // Lower is better: change = (0.050/0.060 - 1)·100 = -16.7 % (better). scipy 1.17
    // ttest_ind([0.05,0.055,0.045],[0.06,0.066,0.054], equal_var=False): t = -2.2177, df = 3.874, p = 0.0930.
    const line = text.split('\n').find((l) => l.startsWith('mutex') && l.includes('total_time_s'))!;
    expect(line).toMatch(/0\.0600 \(3\)\s+0\.0500 \(3\)\s+-16\.7% \[/);
    expect(line).toMatch(/inconclusive: ~\d+ more trials per side \(margin ±3%\)$/);
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
        expect(c.whiskers).toBe(c.bars); // every system had ≥ 2 trials
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
