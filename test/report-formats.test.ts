// report's exports and CI gate end to end (issue 25 item 2): a real influxd holding a fleet (a
// native baseline, a guest whose overhead steps up, an older guest that never reported facts,
// a guest with two variants), the overhead computed by the collector's own calculator, and the
// built program run as users run it. The JSON of each kind is validated against the committed
// docs/report.schema.json by ajv; the CSV is read back by two parsers (csv-parse, and Python's
// csv module as an independent one), a kernel string holding a comma, quotes and a line break
// intact; --fail-on's and an empty selection's exit codes are the process's own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from './support/fixture.js';
import { createOverheadCalculator } from '../collector/overhead/index.js';
import { influxStore } from '../collector/store/influx.js';
import { writeTrials, type TrialSpec } from './support/sysbench-points.js';
import { runCli, type CliResult } from './support/cli.js';

const fx = influxdFixture('report-formats-');

const DB = 'formats_test';
const HOUR = 3_600_000_000_000n;
const MIN = 60_000_000_000n;
const RUNS = 30;
const SHIFT_AT = 18;
// The last run ends about two hours ago: `--since 1h` is a period with no data.
const T0 = BigInt(Date.now()) * 1_000_000n - BigInt(RUNS) * 6n * HOUR - 2n * HOUR;
/** A kernel string as an agent may report it: a comma, quotes and a line break (RFC 4180's three cases). */
const ODD_KERNEL = '6.1.0-13-amd64, "custom"\nbuild #1';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../docs/report.schema.json'), 'utf8')) as object;
// Strict: a keyword or format the validator does not know is an error, not silently ignored.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Deterministic noise in [-1, 1). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}

function run(agent: string, role: 'baseline' | 'guest', virt: string, i: number, level: number, offset: bigint, variant = 'default'): TrialSpec[] {
  const r = lcg(7000 + i * 31 + agent.length);
  return [0, 1, 2].map((t) => ({
    agent,
    group: 'fleet',
    role,
    virt,
    variant,
    test: 'cpu',
    runId: `${agent}-${variant}-${i}`,
    trial: t + 1,
    timeNs: T0 + BigInt(i) * 6n * HOUR + offset + BigInt(t) * MIN,
    values: { events_per_sec: level * (1 + 0.01 * r()) },
  }));
}

const cli = (...args: string[]): Promise<CliResult> => runCli(['report', '--influx', fx.influxd.url, '--database', DB, '--since', '30d', ...args]);

const dir = fx.dir;

beforeAll(async () => {
  const influx = new InfluxDB({ host: '127.0.0.1', port: fx.influxd.port, database: DB });
  await influx.createDatabase(DB);
  const trials: TrialSpec[] = [];
  for (let i = 0; i < RUNS; i++) {
    trials.push(...run('host-a', 'baseline', 'none', i, 1000, 0n));
    // 900 → 630 events/s from run SHIFT_AT: its overhead steps from about 11 % to about 59 %.
    trials.push(...run('vm-shift', 'guest', 'kvm', i, i < SHIFT_AT ? 900 : 630, 5n * MIN));
  }
  // An older guest (no agent_info at all), far slower, its last runs only; a guest with two variants.
  for (let i = RUNS - 3; i < RUNS; i++) trials.push(...run('vm-old', 'guest', 'qemu-tcg', i, 30, 10n * MIN));
  for (let i = RUNS - 4; i < RUNS; i++) {
    trials.push(...run('vm-ab', 'guest', 'kvm', i, 950, 15n * MIN, 'stock'));
    trials.push(...run('vm-ab', 'guest', 'kvm', i, 940, 20n * MIN, 'patched'));
  }
  const written = await writeTrials(fx.influxd.url, DB, trials);
  await createOverheadCalculator({ store: influxStore({ url: fx.influxd.url, database: DB }) }).onResultsWritten(written);
  // Facts as the collector records them at a hello (agent_info: identity tags, facts as fields).
  const info = (agent: string, virt: string, kvm: string, fields: Record<string, string | number>) => ({
    measurement: 'agent_info',
    tags: { agent, host: agent, group: 'fleet', role: agent === 'host-a' ? 'baseline' : 'guest', virt, container: 'none', kvm, variant: 'default' },
    fields,
    timestamp: (T0 - MIN).toString(),
  });
  await influx.writePoints(
    [
      info('host-a', 'none', 'usable', {
        os: 'Debian GNU/Linux 12 (bookworm)',
        kernel: ODD_KERNEL,
        arch: 'x86_64',
        cpu_model: 'AMD EPYC 7B13',
        cpus: 2,
        memory_bytes: 24 * 2 ** 30,
        agent_version: '0.1.0',
        sysbench_version: '1.0.20',
      }),
      info('vm-shift', 'kvm', 'absent', { os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-13-amd64', agent_version: '0.1.0', qemu_version: '8.2.2' }),
    ],
    { database: DB, precision: 'n' },
  );
}, 300_000);

describe('one versioned JSON schema', () => {
  it('the overhead table, --changes and --compare each validate against docs/report.schema.json', async () => {
    const docs = [
      await cli('--format', 'json'),
      await cli('--changes', '--format', 'json'),
      await cli('--compare', 'stock,patched', '--group', 'fleet', '--json'),
    ];
    for (const r of docs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
      expect(doc.schema_version).toBe(1);
    }
    expect(docs.map((r) => (JSON.parse(r.stdout) as { kind: string }).kind)).toEqual(['overhead', 'changes', 'compare']);
  });

  it('the schema can fail: a document without schema_version, or a verdict that is not one, is refused', async () => {
    const doc = JSON.parse((await cli('--format', 'json')).stdout) as Record<string, any>;
    const { schema_version: _v, ...unversioned } = doc;
    expect(validate(unversioned)).toBe(false);
    const badVerdict = structuredClone(doc);
    badVerdict.sections[0].metrics[0].results[1].vs_reference.verdict = 'fine';
    expect(validate(badVerdict)).toBe(false);
  });

  it('every JSON line validates as a row of its kind, the same rows as the CSV', async () => {
    const lines = (await cli('--format', 'jsonl')).stdout.trimEnd().split('\n');
    const csv = parseCsv((await cli('--format', 'csv')).stdout, { columns: true }) as Array<Record<string, string>>;
    expect(lines).toHaveLength(csv.length);
    for (const line of lines) {
      const row = JSON.parse(line) as Record<string, unknown>;
      expect(validate(row), JSON.stringify(validate.errors)).toBe(true);
      expect(row.kind).toBe('overhead_row');
    }
  });
});

describe('facts beside every number', () => {
  it('JSON: each system with its facts; the older agent has them null', async () => {
    const doc = JSON.parse((await cli('--format', 'json')).stdout) as { systems: Array<{ agent: string; facts: Record<string, unknown>; kvm: unknown }> };
    const byAgent = Object.fromEntries(doc.systems.map((s) => [s.agent, s]));
    expect(byAgent['host-a']!.facts).toMatchObject({ kernel: ODD_KERNEL, cpu_model: 'AMD EPYC 7B13', cpus: 2, sysbench_version: '1.0.20', qemu_version: null });
    expect(byAgent['host-a']!.kvm).toBe('usable');
    expect(byAgent['vm-shift']!.facts).toMatchObject({ qemu_version: '8.2.2', cpu_model: null });
    expect(Object.values(byAgent['vm-old']!.facts).every((v) => v === null)).toBe(true);
  });

  it('terminal: a systems block under the header, "unknown" where an agent did not say', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Systems'));
    expect(at).toBeGreaterThan(0);
    const old = lines.slice(at).find((l) => l.startsWith('qemu-tcg vm-old'))!;
    expect(old.match(/unknown/g)!.length).toBeGreaterThanOrEqual(9);
    expect(lines.slice(at).find((l) => l.startsWith('kvm vm-shift'))).toMatch(/8\.2\.2/);
  });
});

describe('CSV (RFC 4180)', () => {
  it('a kernel with a comma, quotes and a line break reads back intact with csv-parse and with Python’s csv module', async () => {
    const text = (await cli('--format', 'csv')).stdout;
    expect(text).toMatch(/\r\n$/); // CRLF between records
    const rows = parseCsv(text, { columns: true }) as Array<Record<string, string>>;
    const py = JSON.parse(
      execFileSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin))))'], { input: text, encoding: 'utf8' }),
    ) as Array<Record<string, string>>;
    expect(py).toEqual(rows);
    const native = rows.find((r) => r.agent === 'host-a')!;
    expect(native.kernel).toBe(ODD_KERNEL);
    expect(native.is_baseline).toBe('true');
    expect(native.memory_bytes).toBe(String(24 * 2 ** 30));
    // The guest's cells are the engine's numbers as JSON has them.
    const json = JSON.parse((await cli('--format', 'json')).stdout) as any;
    const shift = json.sections[0].metrics[0].results.find((x: any) => x.system.agent === 'vm-shift');
    const csvShift = rows.find((r) => r.agent === 'vm-shift')!;
    expect(Number(csvShift.overhead_pct)).toBe(shift.vs_reference.overhead_pct);
    expect(Number(csvShift.ratio_low)).toBe(shift.vs_reference.ratio_low);
    expect(csvShift.verdict).toBe(shift.vs_reference.verdict);
    expect(rows.find((r) => r.agent === 'vm-old')!.kernel).toBe(''); // unknown: empty
  });

  it('markdown: one table line per row (the line break is <br>, the quotes and comma are text)', async () => {
    const md = (await cli('--format', 'markdown')).stdout;
    const systems = md.slice(md.indexOf('## Systems'));
    const native = systems.split('\n').find((l) => l.startsWith('| native host-a'))!;
    expect(native).toContain('6.1.0-13-amd64, "custom"<br>build #1');
    expect(md).toMatch(/^\| events_per_sec \(higher is better\) \| native host-a \|/m);
  });
});

describe('--fail-on: a CI gate', () => {
  it('worse → exit 3 naming each worse guest, the report still printed; better → 0', async () => {
    const worse = await cli('--fail-on', 'worse');
    expect(worse.code).toBe(3);
    expect(worse.stdout).toContain('== cpu · group fleet');
    expect(worse.stderr).toMatch(/^--fail-on worse: \d+ found$/m);
    expect(worse.stderr).toMatch(/cpu · group fleet .*events_per_sec · qemu-tcg vm-old: worse by/);
    const better = await cli('--fail-on', 'better');
    expect(better.stderr).toBe('');
    expect(better.code).toBe(0);
  });

  it('change → exit 3 with the step of vm-shift; --changes --fail-on regression → 3, improvement → 0', async () => {
    const change = await cli('--fail-on', 'change');
    expect(change.code).toBe(3);
    expect(change.stderr).toMatch(/fleet · vm-shift · cpu .*regression: overhead \+1\d\.\d % → \+5\d\.\d %/);
    expect((await cli('--changes', '--fail-on', 'regression')).code).toBe(3);
    const improvement = await cli('--changes', '--fail-on', 'improvement');
    expect([improvement.code, improvement.stderr]).toEqual([0, '']);
  });

  it('a value that is not a verdict or change kind is refused naming the choices (exit 2); one the kind cannot answer too', async () => {
    const bad = await cli('--fail-on', 'worse,slower');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /unknown --fail-on value 'slower' \(known: worse, better, equivalent, inconclusive, unmeasurable, change, regression, improvement\)/,
    );
    const changesVerdict = await cli('--changes', '--fail-on', 'worse');
    expect(changesVerdict.code).toBe(2);
    expect(changesVerdict.stderr).toMatch(/--changes finds change points, not verdicts/);
  });
});

describe('bad input', () => {
  it('an empty selection says so and exits 4: --group nosuch, a period with no data', async () => {
    const none = await cli('--group', 'nosuch');
    expect(none.code).toBe(4);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^nothing to report: no sysbench results for group 'nosuch' since \S+ in database formats_test$/m);
    const recent = await runCli(['report', '--influx', fx.influxd.url, '--database', DB, '--since', '1h', '--html', join(dir, 'empty.html')]);
    expect(recent.code).toBe(4);
    expect(recent.stderr).toMatch(/no sysbench results for any group since .*; .*empty\.html not written/);
    // JSON still prints its (empty) document, so a pipeline parses it.
    const json = await cli('--group', 'nosuch', '--changes', '--format', 'json');
    expect(json.code).toBe(4);
    expect(validate(JSON.parse(json.stdout))).toBe(true);
  });

  it('an unknown --format is refused naming the formats (exit 2); --json with --format too', async () => {
    const r = await cli('--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format: expected one of table, json, jsonl, csv, markdown, not 'xml'/);
    expect((await cli('--format', 'csv', '--json')).code).toBe(2);
  });

  it('--help ends with the exit codes', async () => {
    const r = await runCli(['report', '--help']);
    expect(r.stdout).toMatch(/Exit status:[\s\S]*\n {2}3 +--fail-on[\s\S]*\n {2}4 +nothing to report/);
  });
});

/** Boxes that overlap by more than a pixel each way. */
type Box = { x: number; y: number; width: number; height: number; text: string };
function overlapping(boxes: readonly Box[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.x + a.width > b.x + 1 && b.x + b.width > a.x + 1 && a.y + a.height > b.y + 1 && b.y + b.height > a.y + 1) out.push(`${a.text} × ${b.text}`);
    }
  return out;
}

describe('the HTML page, rendered in headless Chromium (screenshots in test/artifacts/)', () => {
  // playwright-core drives Debian's chromium (never a downloaded browser), headless, with a fresh profile of its own.
  const launch = () =>
    chromium.launch({
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

  it('the fleet page: one reference (baseline = 1), facts in a header, labels apart, each guest over time with its change point, nothing fetched', async () => {
    const file = join(dir, 'fleet.html');
    const r = await cli('--html', file);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    const json = JSON.parse((await cli('--format', 'json')).stdout) as any;
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      page.on('request', (q) => requests.push(q.url()));
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      expect(requests.filter((u) => u !== `file://${file}`)).toEqual([]);

      // One reference: the baseline's bar reaches the dashed line at 1; each guest's bar is labelled with the engine's ratio.
      const chart = await page.$eval('svg.chart', (svg) => {
        const ref = (svg.querySelector('line.ref') as SVGGraphicsElement).getBBox();
        const bars = [...svg.querySelectorAll('rect.bar')].map((b) => ({
          title: b.querySelector('title')!.textContent!,
          top: (b as SVGGraphicsElement).getBBox().y,
        }));
        const labels = [...svg.querySelectorAll('text.metric, text.dir, text.val, text.legend, text.tick, text.ylabel')].map((t) => {
          const b = t.getBoundingClientRect(); // on screen, rotation included
          return { x: b.x, y: b.y, width: b.width, height: b.height, text: t.textContent! };
        });
        return { refY: ref.y, bars, labels, vals: [...svg.querySelectorAll('text.val')].map((t) => t.textContent) };
      });
      const native = chart.bars.find((b) => b.title.startsWith('native host-a'))!;
      expect(Math.abs(native.top - chart.refY)).toBeLessThan(1);
      const results = json.sections[0].metrics[0].results as any[];
      for (const res of results.filter((x) => x.vs_reference?.ratio != null)) expect(chart.vals).toContain(res.vs_reference.ratio.toFixed(2));
      expect(overlapping(chart.labels)).toEqual([]);

      // Facts in a header; the older agent's unknown; the kernel's quotes and comma as text.
      const facts = await page.$eval('table.facts', (t) => (t as HTMLElement).innerText);
      expect(facts).toContain('AMD EPYC 7B13');
      expect(facts).toMatch(/6\.1\.0-13-amd64, "custom"\s+build #1/);
      expect((await page.$$eval('table.facts tr', (rows) => rows.map((r) => (r as HTMLElement).innerText))).find((t) => t.includes('vm-old'))).toMatch(
        /unknown/,
      );

      // Over time: vm-shift's plot has its interval band and its change point; time labels apart.
      const plots = await page.$$eval('svg.timeline', (svgs) =>
        svgs.map((svg) => ({
          label: svg.getAttribute('aria-label')!,
          bands: svg.querySelectorAll('polygon.band').length,
          changes: svg.querySelectorAll('line.cp').length,
          points: svg.querySelectorAll('circle.pt').length,
          labels: [...svg.querySelectorAll('text')].map((t) => {
            const b = t.getBoundingClientRect(); // on screen, rotation included
            return { x: b.x, y: b.y, width: b.width, height: b.height, text: t.textContent! };
          }),
        })),
      );
      const shift = plots.find((p) => p.label.includes('vm-shift') && p.label.includes('events_per_sec'))!;
      expect(shift.bands).toBe(1);
      expect(shift.changes).toBeGreaterThanOrEqual(1);
      expect(shift.points).toBeGreaterThan(10);
      for (const p of plots) expect(overlapping(p.labels.filter((l) => !/^(regression|improvement)$/.test(l.text))), p.label).toEqual([]);

      // Human times, the ISO time in a title.
      const times = await page.$$eval('time', (ts) => ts.map((t) => ({ text: t.textContent!, title: t.getAttribute('title')! })));
      expect(times.length).toBeGreaterThan(2);
      for (const t of times) {
        expect(t.title).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(t.text).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC$/);
      }

      mkdirSync('test/artifacts', { recursive: true });
      await page.screenshot({ path: 'test/artifacts/report-fleet.png', fullPage: true });
      await page.locator('figure', { hasText: 'vm-shift · cpu' }).first().screenshot({ path: 'test/artifacts/report-guest-over-time.png' });
      // The terminal report with its facts, as text and drawn as a terminal would.
      const terminal = (await cli()).stdout;
      writeFileSync('test/artifacts/report-terminal.txt', terminal);
      await page.setContent(
        `<pre style="font:12px DejaVu Sans Mono,monospace;background:#111;color:#ddd;padding:12px;margin:0;display:inline-block">${terminal.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>`,
      );
      await page.locator('pre').screenshot({ path: 'test/artifacts/report-terminal.png' });
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('report --changes --html writes its page too: the change listed, too-short series folded into one line', async () => {
    const file = join(dir, 'changes.html');
    const r = await cli('--changes', '--html', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    const section = html.slice(html.indexOf('<section id="changes">'));
    expect(section).toMatch(/fleet · vm-shift · cpu .*regression: overhead \+1\d\.\d % → \+5\d\.\d %/);
    expect(section.match(/too short/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(html).toContain('<svg class="timeline"');
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      mkdirSync('test/artifacts', { recursive: true });
      await page.screenshot({ path: 'test/artifacts/report-changes.png', fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
