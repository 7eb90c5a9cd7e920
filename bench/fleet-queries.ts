// What users run against a fleet's year, timed: every query of every committed dashboard of the
// build under test (its grafana/dashboards/json, interpolated as Grafana does with every variable
// on All, a single-valued one on its first option) at the dashboard's default range and over the whole year, and `virt-overhead report`
// (its own command line, a fresh process each time, as a user runs it).
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { interpolate, type PanelInterval, type TimeRange, type VariableValue } from '../grafana/interpolate.js';

type Any = Record<string, any>;

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

export interface DashboardQuery {
  dashboard: string;
  /** `panel "Title"` or `annotation "Name"` (#2 for a panel's second query). */
  name: string;
  query: string;
  vars: Awaited<ReturnType<typeof dashboardVariables>>;
  /** The dashboard's default range ('now-7d' → 7 days), ms. */
  defaultMs: number;
  /** The panel's minimum interval (its `interval`, the History row's '1d') and maxDataPoints: with the range, they make `$__interval`. */
  panel: PanelInterval;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, M: 30 * 86_400_000, y: 365 * 86_400_000 };

/** Grafana's relative 'now-7d' as milliseconds. */
export function relativeMs(from: string): number {
  const m = /^now-(\d+)([smhdwMy])$/.exec(from);
  if (!m) throw new Error(`dashboard time.from '${from}' is not of the form now-<n><unit>`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Every panel and annotation query of the dashboards in `dir` (a build's grafana/dashboards/json), their variables set from the data at `url`. */
export async function dashboardQueries(dir: string, url: string, database: string): Promise<DashboardQuery[]> {
  const out: DashboardQuery[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const d = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Any;
    const dashboard = String(d.title).replace('virt-overhead: ', '');
    const vars = await dashboardVariables(d, url, database);
    const defaultMs = relativeMs(d.time?.from ?? 'now-6h');
    for (const p of d.panels as Any[])
      (p.targets ?? []).forEach((t: Any, i: number) => {
        if (t.query)
          out.push({
            dashboard,
            name: `panel "${p.title}"${i ? ` #${i + 1}` : ''}`,
            query: t.query,
            vars,
            defaultMs,
            panel: { minInterval: p.interval, maxDataPoints: p.maxDataPoints },
          });
      });
    for (const a of d.annotations?.list ?? [])
      if (a.target?.query) out.push({ dashboard, name: `annotation "${a.name}"`, query: a.target.query, vars, defaultMs, panel: {} });
  }
  return out;
}

/** Runs one InfluxQL query as Grafana's datasource does (GET /query, epoch=ms); resolves to the rows returned. */
export async function influxRows(url: string, database: string, sql: string): Promise<number> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(database)}&epoch=ms&q=${encodeURIComponent(sql)}`);
  const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: unknown[] }>; error?: string }>; error?: string };
  const err = body.error ?? body.results?.find((r) => r.error)?.error;
  if (err) throw new Error(`InfluxDB refused ${sql.slice(0, 120)}…: ${err}`);
  return (body.results ?? []).reduce((n, r) => n + (r.series ?? []).reduce((m, s) => m + s.values.length, 0), 0);
}

export interface Timing {
  times: number[];
  rows: number;
  p95: number;
  spread: string;
}

/**
 * One warm-up run (the first read of a shard after loading it is slower), then `repeats` timed
 * ones; a query over `stopAfterMs` is not repeated (its first time already decides its goal).
 */
export async function timeRepeated(fn: () => Promise<number>, repeats: number, stopAfterMs = 10_000, warmUp = true): Promise<Timing> {
  let rows = warmUp ? await fn() : 0;
  const times: number[] = [];
  for (let i = 0; i < repeats && !(i > 0 && times[0]! > stopAfterMs); i++) {
    const t = performance.now();
    rows = await fn();
    times.push(performance.now() - t);
  }
  return { times, rows, p95: p95(times), spread: spread(times) };
}

/** `range` of the last `ms` up to `endMs`. */
export function lastRange(endMs: number, ms: number): TimeRange {
  return { fromMs: endMs - ms, toMs: endMs };
}

export function panelSql(q: DashboardQuery, range: TimeRange): string {
  return interpolate(q.query, range, q.vars, q.panel);
}

/** How a row names its range: 'default range (7 d)', 'default range (15 min)', 'a year'. */
export function rangeName(range: 'default range' | 'a year', ms: number): string {
  return range === 'default range'
    ? `${range} (${Math.round(ms / 3_600_000) >= 24 ? `${Math.round(ms / 86_400_000)} d` : `${Math.round(ms / 60_000)} min`})`
    : range;
}

/** `virt-overhead <args>` of a build, as a fresh process; resolves to the bytes it printed. Fails on a non-zero exit. */
export function runCli(dist: string, args: string[], timeoutMs = 600_000): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(dist, 'cli', 'main.js'), ...args], { maxBuffer: 256 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`virt-overhead ${args.join(' ')}: ${(stderr || err.message).split('\n').slice(0, 3).join(' ')}`));
      else resolve(stdout.length);
    });
  });
}
