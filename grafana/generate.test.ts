// The committed dashboards and alert rules are exactly what the TypeScript generates, and
// they hang together: panel ids unique, the datasource uid the provisioning defines, the
// provider path the compose stack mounts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAll, repoRoot } from './generate.js';
import { intervalFor, intervalToMs, interpolate, roundInterval, secondsToHms } from './interpolate.js';
import { as, from, mean } from './influxql.js';
import { showsAgent } from './links.js';
import { anchorOf, runbookSections } from './dashboards/runbooks.js';
import { FLEET_MAX_DATA_POINTS, WEEKLY_POINTS_NOTE } from './panels.js';

const ROOT = repoRoot();

describe('grafana/generate', () => {
  const files = renderAll();

  it('regenerating yields byte-identical files to those committed', () => {
    expect(files.size).toBe(7);
    for (const [rel, content] of files) expect(readFileSync(join(ROOT, rel), 'utf8'), rel).toBe(content);
  });

  it('dashboards: unique uids and panel ids, no gnetId, every query on the datasource variable, whose default is the provisioned one', () => {
    const ds = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8'));
    const uid = ds.datasources[0].uid;
    expect(ds.datasources[0]).toMatchObject({ type: 'influxdb', access: 'proxy', url: '${INFLUX_URL}', jsonData: { dbName: 'virt_overhead' } });
    // Importing into a shared Grafana must not change the organisation's default datasource.
    expect(ds.datasources[0].isDefault).toBe(false);
    const uids = new Set<string>();
    for (const [rel, content] of files) {
      if (!rel.endsWith('.json')) continue;
      const d = JSON.parse(content);
      expect(d.gnetId).toBeUndefined();
      uids.add(d.uid);
      const ids = d.panels.map((p: { id: number }) => p.id);
      expect(new Set(ids).size, rel).toBe(ids.length);
      // No hard-coded datasource: every reference is the variable, so the JSON imports into any Grafana.
      const refs = [...content.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== d.uid);
      // Every dashboard but the runbooks (text only) queries InfluxDB.
      expect(refs.length > 0, rel).toBe(d.uid !== 'virt-overhead-runbooks');
      for (const r of refs) expect(r, rel).toBe('${datasource}');
      const v = d.templating.list[0];
      expect(v, rel).toMatchObject({ type: 'datasource', name: 'datasource', query: 'influxdb', current: { value: uid } });
      expect(ds.datasources[0]).toMatchObject({ type: v.query, name: v.current.text });
    }
    expect(uids.size).toBe(6);
  });

  const dashboards = [...files].filter(([rel]) => rel.endsWith('.json')).map(([, content]) => JSON.parse(content));
  const byUid = new Map(dashboards.map((d) => [d.uid as string, d]));
  const variablesOf = (d: { templating: { list: Array<{ name: string }> } }) => new Set(d.templating.list.map((v) => v.name));

  it('every fleet panel that shows an agent links to the guest dashboard; every link resolves to a dashboard and its variables', () => {
    let links = 0;
    for (const d of dashboards) {
      for (const p of d.panels.filter((x: { type: string }) => x.type !== 'row')) {
        const shows = (p.targets ?? []).some((t: { query: string }) => showsAgent(t.query));
        const panelLinks: Array<{ url: string }> = p.fieldConfig?.defaults?.links ?? [];
        if (d.uid !== 'virt-overhead-guest') expect(panelLinks.length > 0, `${d.uid}: "${p.title}" shows an agent`).toBe(shows);
        for (const l of panelLinks) {
          links++;
          const m = /^\/d\/([\w-]+)\/[\w-]+\?(.*)$/.exec(l.url);
          expect(m, l.url).not.toBeNull();
          const target = byUid.get(m![1]!);
          expect(target, `${d.uid}: "${p.title}" links to a dashboard that exists`).toBeDefined();
          const params = m![2]!.split('&');
          for (const param of params) {
            const named = /^var-(\w+)=/.exec(param)?.[1] ?? /^\$\{(\w+):queryparam\}$/.exec(param)?.[1];
            if (named) expect(variablesOf(target!).has(named), `${l.url}: $${named} on ${target!.uid}`).toBe(true);
            // A variable carried over must exist where the link starts, too.
            const carried = /^\$\{(\w+):queryparam\}$/.exec(param)?.[1];
            if (carried) expect(variablesOf(d).has(carried), `${d.uid}: $${carried}`).toBe(true);
          }
          expect(params).toContain('${__url_time_range}');
          // The agent comes from the row (tables) or the series (time series) the user clicked.
          expect(params[0]).toBe(
            p.targets.every((t: { resultFormat: string }) => t.resultFormat === 'table')
              ? 'var-agent=${__data.fields.agent}'
              : 'var-agent=${__field.labels.agent}',
          );
        }
      }
    }
    expect(links).toBeGreaterThanOrEqual(10);
  });

  it("every fleet panel that draws a line per agent over time, and Variants over time, carries maxDataPoints 52 (a year weekly) and says so; the live sample panels keep Grafana's default", () => {
    // The Live run's sample panels: the live view (15 min, 10 s points); their samples expire after 30 days.
    const live = new Set(['Events per second', 'Latency percentile (ms)', 'Memory throughput (MiB/s)', 'fileio read (MiB/s)', 'fileio written (MiB/s)']);
    const perAgent: string[] = [];
    for (const d of dashboards.filter((x) => x.uid !== 'virt-overhead-guest')) {
      for (const p of d.panels.filter((x: { type: string }) => x.type === 'timeseries')) {
        const query: string = p.targets.map((t: { query: string }) => t.query).join('\n');
        if (d.uid === 'virt-overhead-variants' && p.title === '$field by variant over time') {
          // A line per variant, but its rollup holds a point per series and day: a year reads ~370 000 at 1 000 guests.
          expect(p.maxDataPoints, p.title).toBe(FLEET_MAX_DATA_POINTS);
          expect(p.description, p.title).toMatch(/Long ranges show weekly points/);
          continue;
        }
        if (!/GROUP BY time\(\$__interval\), .*"agent"/.test(query)) {
          expect(p.maxDataPoints, `${d.uid}: "${p.title}" draws no line per agent`).toBeUndefined();
          continue;
        }
        if (d.uid === 'virt-overhead-live-run' && live.has(p.title)) {
          expect(p.maxDataPoints, p.title).toBeUndefined();
          continue;
        }
        perAgent.push(`${d.uid}: ${p.title}`);
        expect(p.maxDataPoints, `${d.uid}: "${p.title}"`).toBe(FLEET_MAX_DATA_POINTS);
        expect(p.description, `${d.uid}: "${p.title}"`).toMatch(/Long ranges show weekly points/);
      }
    }
    expect(perAgent.sort()).toEqual(
      [
        'virt-overhead-overview: Overhead against the baseline (%)',
        'virt-overhead-overview: Noise: steal, contention and load per agent',
        'virt-overhead-live-run: Noise: steal, contention and load per agent',
        ...['Events per second', 'Latency percentile (ms)', 'Memory throughput (MiB/s)', 'fileio read (MiB/s)', 'fileio written (MiB/s)'].map(
          (t) => `virt-overhead-live-run: ${t}, daily history`,
        ),
        ...['spooled', 'dropped', 'corrupt', 'rejected'].map((c) => `virt-overhead-agent-health: ${c} over time`),
      ].sort(),
    );
    expect(WEEKLY_POINTS_NOTE).toMatch(/weekly/);
  });

  it('every alert rule links to its runbook section and to the panel it is about', () => {
    const rules = parse(files.get('grafana/provisioning/alerting/overhead-rules.yaml')!).groups[0].rules;
    const sections = runbookSections(readFileSync(join(ROOT, 'docs/runbooks.md'), 'utf8'));
    const runbooks = byUid.get('virt-overhead-runbooks');
    for (const r of rules) {
      const a = r.annotations;
      const section = sections.find((s) => s.title === r.title);
      expect(section, `docs/runbooks.md has a section '## ${r.title}'`).toBeDefined();
      expect(section!.anchor).toBe(anchorOf(r.title));
      expect(section!.body.length, r.title).toBeGreaterThan(100);
      const viewPanel = Number(/^\/d\/virt-overhead-runbooks\/virt-overhead-runbooks\?viewPanel=(\d+)$/.exec(a.runbook_url)?.[1]);
      const shown = runbooks.panels.find((p: { id: number }) => p.id === viewPanel);
      expect(shown, a.runbook_url).toMatchObject({ type: 'text', title: r.title, options: { content: section!.body } });
      const panel = byUid.get(a.__dashboardUid__)?.panels.find((p: { id: number }) => String(p.id) === a.__panelId__);
      expect(panel, `${r.title}: ${a.__dashboardUid__} panel ${a.__panelId__}`).toBeDefined();
      expect(panel.type).not.toBe('row');
    }
  });

  it('alert rules name the provisioned datasource: provisioned alerting cannot use template variables', () => {
    const ds = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8'));
    const rules = files.get('grafana/provisioning/alerting/overhead-rules.yaml')!;
    expect(rules).not.toContain('${datasource}');
    const uids = new Set([...rules.matchAll(/datasourceUid: (\S+)/g)].map((m) => m[1]));
    expect(uids).toEqual(new Set(['__expr__', ds.datasources[0].uid]));
  });

  it('the dashboard provider reads the folder the compose stack mounts the JSON into', () => {
    const p = parse(readFileSync(join(ROOT, 'grafana/provisioning/dashboards/virt-overhead.yaml'), 'utf8'));
    expect(p.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

describe('InfluxQL builder and interpolation', () => {
  it('quotes identifiers and builds the clauses in InfluxQL order', () => {
    const q = from('overhead')
      .select(as(mean('overhead_pct'), 'o'))
      .whereTimeFilter()
      .whereVar('group', 'group')
      .groupByTime('$__interval')
      .groupBy('agent')
      .fill('none');
    expect(q.toString()).toBe(
      'SELECT mean("overhead_pct") AS "o" FROM "overhead" WHERE $timeFilter AND "group" =~ /^$group$/ GROUP BY time($__interval), "agent" fill(none)',
    );
  });

  it('rejects an alias that is not a plain identifier', () => {
    expect(() => as(mean('ratio'), 'a b')).toThrow(/plain identifier/);
  });

  it('interpolates like Grafana: ms time filter, regex-escaped (a|b) for multi values, plain single values', () => {
    const q = interpolate(
      'SELECT "$field" FROM x WHERE $timeFilter AND "agent" =~ /^$agent$/ GROUP BY time($__interval)',
      { fromMs: 0, toMs: 3_600_000 },
      {
        agent: { multi: true, values: ['a.b', 'c/d'] },
        field: { multi: false, value: 'events_per_sec' },
      },
    );
    // 3600 s over 1000 points = 3.6 s, below the 10 s minimum interval.
    expect(q).toBe('SELECT "events_per_sec" FROM x WHERE time >= 0ms and time <= 3600000ms AND "agent" =~ /^(a\\.b|c\\/d)$/ GROUP BY time(10s)');
  });

  it('reads a variable name as Grafana does: ${field}_sum is $field then _sum, $field_sum a variable field_sum', () => {
    const vars = { field: { multi: false as const, value: 'events_per_sec' }, agent: { multi: true as const, values: ['a'] } };
    expect(interpolate('SELECT sum("${field}_sum") FROM x WHERE "agent" =~ /^${agent}$/', { fromMs: 0, toMs: 1 }, vars)).toBe(
      'SELECT sum("events_per_sec_sum") FROM x WHERE "agent" =~ /^(a)$/',
    );
    expect(() => interpolate('SELECT "$field_sum" FROM x', { fromMs: 0, toMs: 1 }, vars)).toThrow(/\$field_sum/);
    expect(() => interpolate('SELECT "${fields}_sum" FROM x', { fromMs: 0, toMs: 1 }, vars)).toThrow(/\$\{fields\}/);
    // A substituted value is not read again: a value holding $agent stays as it is.
    expect(interpolate('SELECT "$field" FROM x', { fromMs: 0, toMs: 1 }, { field: { multi: false, value: 'a\\$agent' } })).toBe('SELECT "a\\$agent" FROM x');
  });

  // Grafana's own values: its roundInterval tests (packages/grafana-data/src/datetime/rangeutil.test.ts, grafana/grafana
  // 08993b9: a millisecond below each bound) and the steps of roundInterval itself (rangeutil.ts): at a bound, the next step.
  it('rounds an interval as Grafana does: rangeutil.test.ts roundInterval cases, and each bound itself', () => {
    const grafanaCases: Array<[number, number]> = [
      [9, 1],
      [34, 20],
      [74, 50],
      [149, 100],
      [349, 200],
      [749, 500],
      [1499, 1000],
      [3499, 2000],
      [7499, 5000],
      [12499, 10000],
      [17499, 15000],
      [24999, 20000],
      [44999, 30000],
      [89999, 60000],
      [209999, 120000],
      [449999, 300000],
      [749999, 600000],
      [1049999, 900000],
      [1499999, 1200000],
      [2699999, 1800000],
      [5399999, 3600000],
      [8999999, 7200000],
      [16199999, 10800000],
      [32399999, 21600000],
      [86399999, 43200000],
      [604799999, 86400000],
      [1814399999, 604800000],
      [3628799999, 2592000000],
      [3628800000, 31536000000],
    ];
    for (const [ms, want] of grafanaCases) expect(roundInterval(ms), `${ms} ms`).toBe(want);
    // At each bound the next row's step (rangeutil.ts: `case interval < bound`).
    const atBounds: Array<[number, number]> = [
      [10, 10],
      [15, 20],
      [1500, 2000],
      [12500, 15000],
      [86400000, 86400000],
      [604800000, 604800000],
      [1814400000, 2592000000],
    ];
    for (const [ms, want] of atBounds) expect(roundInterval(ms), `${ms} ms`).toBe(want);
  });

  it("writes an interval as Grafana's secondsToHms does (largest unit, truncated) and reads one as its intervalToMs", () => {
    expect([604800, 86400, 43200, 600, 10, 90, 0.5, 31536000, 2592000].map(secondsToHms)).toEqual([
      '7d',
      '1d',
      '12h',
      '10m',
      '10s',
      '1m',
      '500ms',
      '1y',
      '30d',
    ]);
    expect(['10s', '1d', '1w', '5m', '2h', '100ms', '30', '1y', '1M'].map(intervalToMs)).toEqual([
      10_000, 86_400_000, 604_800_000, 300_000, 7_200_000, 100, 30_000, 31_536_000_000, 2_592_000_000,
    ]);
    expect(() => intervalToMs('1x')).toThrow(/'1x'/);
  });

  it("makes $__interval as Grafana does: the range over maxDataPoints (else 1 000), rounded, then at least the panel's minimum interval (else the datasource's 10 s)", () => {
    const DAY = 86_400_000;
    const range = (ms: number) => ({ fromMs: 1_000_000, toMs: 1_000_000 + ms });
    // [range, panel, Grafana's $__interval], worked out by hand from rangeutil.ts.
    const cases: Array<[number, Parameters<typeof intervalFor>[1], string]> = [
      [7 * DAY, {}, '10m'], // 604.8 s < 750 s → 10 m (the short list this replaced rounded up to 15 m)
      [365 * DAY, {}, '6h'], // 31 536 s < 9 h → 6 h (not 12 h)
      [30 * DAY, {}, '30m'], // 2 592 s < 45 m → 30 m
      [DAY, {}, '1m'], // 86.4 s < 90 s → 1 m
      [15 * 60_000, {}, '10s'], // 0.9 s → 1 s, raised to the datasource's 10 s
      [365 * DAY, { maxDataPoints: 52 }, '7d'], // 606 462 s in [7 d, 21 d) → a week
      [30 * DAY, { maxDataPoints: 52 }, '12h'], // 13.8 h in [9 h, 1 d) → 12 h
      [7 * DAY, { maxDataPoints: 52 }, '3h'], // 3.2 h in [2.5 h, 4.5 h) → 3 h
      [DAY, { maxDataPoints: 52 }, '30m'], // 27.7 min in [25 m, 45 m) → 30 m
      [15 * 60_000, { maxDataPoints: 52 }, '15s'], // 17.3 s in [12.5 s, 17.5 s) → 15 s
      [21 * 52 * DAY, { maxDataPoints: 52 }, '30d'], // 21 d a point → 30 d
      [365 * DAY, { minInterval: '1d' }, '1d'], // 6 h raised to 1 d
      [365 * DAY, { minInterval: '1d', maxDataPoints: 52 }, '7d'], // a week is already past 1 d
      [15 * 60_000, { minInterval: '1d', maxDataPoints: 52 }, '1d'],
      [15 * 60_000, { minInterval: '1s' }, '1s'], // a panel's own minimum replaces the datasource's, even below it
    ];
    for (const [ms, panel, want] of cases) expect(intervalFor(range(ms), panel), `${ms / DAY} d, ${JSON.stringify(panel)}`).toBe(want);
    expect(interpolate('GROUP BY time($__interval)', range(365 * DAY), {}, { maxDataPoints: 52 })).toBe('GROUP BY time(7d)');
  });

  it('refuses a query that names a variable it was not given', () => {
    expect(() => interpolate('SELECT x FROM y WHERE "a" =~ /^$nope$/', { fromMs: 0, toMs: 1 }, {})).toThrow(/\$nope/);
    expect(() => interpolate('SELECT x FROM y WHERE $other', { fromMs: 0, toMs: 1 }, {})).toThrow(/\$other/);
  });
});
