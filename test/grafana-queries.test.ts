// Grafana cannot run here, so its dashboards are checked by what Grafana would do with them:
// a real InfluxDB is filled through the real pipeline (collector + baseline and guest agents
// running real sysbench), then every template variable's, panel's, annotation's and alert
// rule's query from the COMMITTED JSON/YAML is interpolated the way Grafana does and run.
// Each must return the measurement it reads, the columns and tags the panel refers to, and
// numbers equal to ones this test computes itself from the raw points.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { interpolate, type TimeRange, type VariableValue } from '../grafana/interpolate.js';
import { onceAgentArgs, runCli, type CliResult } from './support/cli.js';
import { influxStore } from '../collector/store/influx.js';
import { checkSilence } from '../collector/health/silence.js';
import { backfillDownsampled } from '../collector/influx/retention.js';
import { rawQuery } from '../collector/influx/http.js';
import type { Measurement } from '../schema/influx.js';
import { DEFAULT_RETENTION, measurementRef } from '../schema/retention.js';

const ROOT = join(import.meta.dirname, '..');
const JSON_DIR = join(ROOT, 'grafana', 'dashboards', 'json');
const dir = mkdtempSync(join(tmpdir(), 'vo-grafana-'));
let stack: LocalStack;
const runs: CliResult[] = [];
let range: TimeRange;

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
type Any = Record<string, any>;

async function influx(q: string): Promise<Series[]> {
  const url = `${stack.influxUrl}/query?db=${stack.database}&epoch=ms&q=${encodeURIComponent(q)}`;
  const res = await fetch(url);
  const body = (await res.json()) as { results?: Array<{ series?: Series[]; error?: string }>; error?: string };
  if (!res.ok || body.error || body.results?.[0]?.error) throw new Error(`InfluxDB refused ${q}: ${body.error ?? body.results?.[0]?.error}`);
  return body.results?.[0]?.series ?? [];
}

/** Rows of a raw query as objects (tags merged in), for hand computations. */
async function rows(q: string): Promise<Any[]> {
  return (await influx(q)).flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

const agent = (id: string, role: string, variant: string, declare: string[] = []) =>
  onceAgentArgs({
    collector: stack.collectorAddress,
    tests: 'cpu,memory',
    trials: 2,
    workdir: join(dir, id + variant),
    agentId: id,
    role,
    group: 'g1',
    // The guest runs on the native machine: a one-layer chain, so the nested-stack panel has data.
    extra: ['--variant', variant, '--allow-plaintext', ...(role === 'guest' ? ['--parent', 'native1'] : []), ...declare.flatMap((d) => ['--declare', d])],
  });

/** The collector writes overhead after acking, so the agent may exit first: wait for it. */
async function waitFor(q: string, count: number): Promise<void> {
  for (let i = 0; i < 300 && (await rows(q)).length < count; i++) await new Promise((r) => setTimeout(r, 100));
}

beforeAll(async () => {
  // collector_stats every second, so the collector-health panels have points to show.
  stack = await startLocalStack({ dataDir: join(dir, 'influx'), statsPeriodMs: 1000 });
  // native1 declares no QEMU (an agent without that fact: "unknown"); guest1's QEMU is upgraded
  // between its runs, which the collector records as a fact change (agent_info's `changed`).
  runs.push(await runCli(agent('native1', 'baseline', 'default')));
  runs.push(await runCli(agent('guest1', 'guest', 'stock', ['qemu_version=8.2.2'])));
  runs.push(await runCli(agent('guest1', 'guest', 'patched', ['qemu_version=9.0.0'])));
  await waitFor(`SELECT overhead_pct FROM overhead WHERE variant = 'patched'`, 2);
  await waitFor(`SELECT overhead_pct FROM overhead_chain WHERE variant = 'patched' AND against = 'root'`, 2);
  await waitFor(`SELECT overhead_pct FROM overhead_latest WHERE variant = 'patched'`, 2);
  // The History rollup of each agent's day (collector/rollup/history.ts), after the overhead work.
  await waitFor(`SELECT "windows" FROM "sysbench_interval_1d" WHERE "variant" = 'patched'`, 1);
  // And the trials rollup (collector/rollup/trials.ts), until it counts every ok trial.
  const counted = async (q: string) => ((await rows(q))[0]?.n as number | undefined) ?? 0;
  const okTrials = () => counted(`SELECT count("ok") AS n FROM sysbench WHERE "ok" = true`);
  const rolledTrials = () => counted(`SELECT sum("trials") AS n FROM sysbench_1d`);
  for (let i = 0; i < 300 && (await rolledTrials()) !== (await okTrials()); i++) await new Promise((r) => setTimeout(r, 100));
  const times = (await rows('SELECT run_id FROM sysbench')).map((r) => r.time as number);
  range = { fromMs: Math.min(...times) - 3_600_000, toMs: Math.max(...times) + 3_600_000 };
  // Three runs cannot make a change point (a side needs 3 runs), so one `overhead_change` point
  // shaped as docs/schema.md is written by hand for the change annotation and alert queries;
  // test/changes.e2e.test.ts runs the same queries on change points the collector found.
  const line = `overhead_change,agent=guest1,baseline_agent=native1,cause=guest,container=none,group=g1,host=guest1,kind=regression,kvm=absent,metric=events_per_sec,profile=quick,role=guest,sysbench_version=1.0.20,test=cpu,variant=patched,virt=none before_pct=1,after_pct=9,change_pct=8,p_value=1e-6,run_id="r",before_run_id="q",shape="step",summary="regression of guest1 cpu events_per_sec" ${Math.max(...times)}000000`;
  const w = await fetch(`${stack.influxUrl}/write?db=${stack.database}`, { method: 'POST', body: line });
  if (!w.ok) throw new Error(`writing the change point: ${w.status} ${await w.text()}`);
  // The 5-minute downsampling, as the collector's next start does it (the CQ may not have run yet).
  await backfillDownsampled(rawQuery({ url: stack.influxUrl, database: stack.database }), stack.database, DEFAULT_RETENTION);
  // The collector checks silence once a minute; run one check now so agent_silence has rows.
  await checkSilence(influxStore({ url: stack.influxUrl, database: stack.database }), Date.now(), { silentAfterMs: 300_000, periodMs: 60_000 });
  await waitFor('SELECT open_streams FROM collector_stats', 1);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const dashboards: Array<[string, Any]> = readdirSync(JSON_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(JSON_DIR, f), 'utf8'))]);

/**
 * Runs each variable's query in order, later ones narrowed by earlier ones, all set to All; a
 * single-valued one takes the value `given` sets (as a data link does), else its first option,
 * as Grafana does when the current value is not among the options.
 */
async function resolveVariables(
  d: Any,
  given: Record<string, string> = {},
): Promise<{ values: Record<string, VariableValue>; options: Record<string, string[]> }> {
  const values: Record<string, VariableValue> = {};
  const options: Record<string, string[]> = {};
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'custom') {
      options[v.name] = String(v.query).split(',');
      values[v.name] = { multi: false, value: v.current.value };
      continue;
    }
    if (v.type === 'datasource') {
      // Grafana resolves it to the provisioned datasource: the one this test queries.
      expect(v.current.value).toBe('virt-overhead-influxdb');
      options[v.name] = [v.current.value];
      continue;
    }
    expect(v.type, `${d.title}: variable ${v.name}`).toBe('query');
    expect(v.datasource?.uid).toBe('${datasource}');
    const series = await influx(interpolate(v.query, range, values));
    const found = series.flatMap((s) => s.values.map((row) => String(row[s.columns.indexOf('value')])));
    options[v.name] = found;
    // All is the variable's allValue (.*) when it has one, as Grafana substitutes it; else every value found.
    if (given[v.name] !== undefined) {
      expect(found, `${d.title}: $${v.name} offers ${given[v.name]}`).toContain(given[v.name]);
      values[v.name] = { multi: false, value: given[v.name]! };
      continue;
    }
    values[v.name] =
      !v.multi && !found.includes(v.current?.value)
        ? { multi: false, value: found[0]! }
        : v.current?.value === '$__all'
          ? v.allValue
            ? { multi: false, value: v.allValue }
            : { multi: true, values: found }
          : { multi: false, value: v.current.value };
  }
  return { values, options };
}

/** The measurement a query reads: the innermost FROM "name" or FROM "policy"."name". */
function measurementOf(q: string): Measurement {
  const m = [...q.matchAll(/FROM (?:"\w+"\.)?"(\w+)"/g)];
  expect(m.length, q).toBeGreaterThan(0);
  return m[m.length - 1]![1]! as Measurement;
}
/** Aliases of the outermost SELECT list. */
function outerAliases(q: string): string[] {
  const head = q.slice(0, q.indexOf(' FROM '));
  return [...head.matchAll(/AS "(\w+)"/g)].map((m) => m[1]!).concat([...head.matchAll(/"(\w+)"::tag/g)].map((m) => m[1]!));
}
/** Tags of the outermost GROUP BY (after a subquery's closing parenthesis, if any). */
function groupTags(q: string): string[] {
  let outer = q.replace(/(time|fill)\([^)]*\)/g, '');
  if (outer.includes('FROM (')) outer = outer.slice(outer.lastIndexOf(')'));
  const m = / GROUP BY (.*)$/.exec(outer);
  return m ? [...m[1]!.matchAll(/"(\w+)"/g)].map((x) => x[1]!) : [];
}

// Panels whose field may be absent from a short cpu+memory run: expected non-empty only if
// the raw points hold that field (checked independently below).
const FIELD_PANELS: Record<string, string> = {
  'Memory throughput (MiB/s)': 'mib_per_sec',
  'fileio read (MiB/s)': 'read_mib_per_sec',
  'fileio written (MiB/s)': 'written_mib_per_sec',
  'Memory throughput (MiB/s), daily history': 'mib_per_sec_n',
  'fileio read (MiB/s), daily history': 'read_mib_per_sec_n',
  'fileio written (MiB/s), daily history': 'written_mib_per_sec_n',
};

describe('generated dashboards against a real InfluxDB filled by the real pipeline', () => {
  it('the agents ran and were acknowledged', () => {
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
  });

  it('there is one dashboard per view, and every one has panels with queries', () => {
    expect(dashboards.map(([f]) => f).sort()).toEqual(['agent-health.json', 'guest.json', 'live-run.json', 'overview.json', 'runbooks.json', 'variants.json']);
  });

  for (const [file, d] of dashboards) {
    describe(file, () => {
      it('every template variable query returns values', async () => {
        const { options } = await resolveVariables(d);
        for (const v of d.templating.list) expect(options[v.name]!.length, `${file}: $${v.name}`).toBeGreaterThan(0);
        if (file !== 'runbooks.json') expect(options.group).toContain('g1');
        if ('virt' in options) expect(options.virt!.length).toBeGreaterThan(0);
      });

      it('every panel query returns the series, columns and tags the panel uses', async () => {
        const { values } = await resolveVariables(d);
        // Text panels (the runbooks) query nothing.
        const panels = (d.panels as Any[]).filter((p) => p.type !== 'row' && p.type !== 'text');
        expect(panels.length > 0, file).toBe(file !== 'runbooks.json');
        for (const p of panels) {
          expect(p.targets?.length, `${file}: ${p.title}`).toBeGreaterThan(0);
          for (const t of p.targets) {
            const where = `${file}: "${p.title}" ${t.refId}`;
            expect(t.datasource?.uid, where).toBe('${datasource}');
            expect(t.rawQuery, where).toBe(true);
            const series = await influx(interpolate(t.query, range, values));
            const measurement = measurementOf(t.query);
            const field = FIELD_PANELS[p.title];
            const exists = field ? (await rows(`SELECT count("${field}") FROM ${measurementRef(measurement)}`)).length > 0 : true;
            expect(series.length > 0, `${where} returns data: ${t.query}`).toBe(exists);
            if (!exists) continue;
            const columns = new Set(series.flatMap((s) => s.columns));
            const tags = new Set(series.flatMap((s) => Object.keys(s.tags ?? {})));
            for (const s of series) expect(s.name, where).toBe(measurement);
            for (const a of outerAliases(t.query)) expect(columns.has(a), `${where}: column ${a} in ${[...columns]}`).toBe(true);
            for (const g of groupTags(t.query)) expect(tags.has(g), `${where}: tag ${g}`).toBe(true);
            for (const m of String(t.alias ?? '').matchAll(/\$tag_(\w+)/g)) expect(tags.has(m[1]!), `${where}: legend $tag_${m[1]}`).toBe(true);
            // Fields the panel refers to by name exist (tags become columns in table format).
            const known = new Set([...columns, ...tags, 'Time']);
            for (const tr of p.transformations ?? []) {
              const o = tr.options ?? {};
              for (const k of Object.keys({ ...o.excludeByName, ...o.renameByName })) expect(known.has(k), `${where}: ${tr.id} ${k}`).toBe(true);
              for (const name of Object.values(o.renameByName ?? {})) known.add(name as string);
              if (tr.id === 'groupingToMatrix') {
                for (const k of [o.columnField, o.rowField, o.valueField]) expect(known.has(k), `${where}: matrix ${k}`).toBe(true);
                expect(p.options.xField).toBe(`${o.rowField}\\${o.columnField}`);
              }
            }
            for (const ov of p.fieldConfig?.overrides ?? []) {
              if (ov.matcher.id === 'byName') expect(known.has(ov.matcher.options), `${where}: override ${ov.matcher.options}`).toBe(true);
              if (ov.matcher.id === 'byRegexp')
                expect(
                  [...known].some((k) => new RegExp(`^(?:${ov.matcher.options})$`).test(k)),
                  where,
                ).toBe(true);
            }
          }
        }
      });

      it('the run annotation returns the columns it maps', async () => {
        const { values } = await resolveVariables(d);
        for (const a of d.annotations?.list ?? []) {
          const series = await influx(interpolate(a.target.query, range, values));
          expect(series.length).toBeGreaterThan(0);
          const cols = series[0]!.columns;
          for (const c of [a.target.textColumn, ...String(a.target.tagsColumn).split(',')]) expect(cols).toContain(c);
        }
      });
    });
  }

  it('Current overhead shows the overhead computed by hand from the stored sysbench trials', async () => {
    const d = dashboards.find(([f]) => f === 'overview.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.title === 'Current overhead');
    const got = await rows(interpolate(panel.targets[0].query, range, values));
    const raw = await rows(`SELECT events_per_sec, ok FROM sysbench WHERE test = 'cpu' GROUP BY *`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const of = (agentId: string, variant: string) => mean(raw.filter((r) => r.agent === agentId && r.variant === variant && r.ok).map((r) => r.events_per_sec));
    const native = of('native1', 'default');
    for (const variant of ['stock', 'patched']) {
      const row = got.find((r) => r.agent === 'guest1' && r.test === 'cpu' && r.metric === 'events_per_sec' && r.variant === variant)!;
      expect(row, variant).toBeDefined();
      expect(row.overhead_pct).toBeCloseTo((native / of('guest1', variant) - 1) * 100, 6);
      expect(row.ci_low_pct).toBeLessThanOrEqual(row.overhead_pct);
      expect(row.ci_high_pct).toBeGreaterThanOrEqual(row.overhead_pct);
    }
  });

  it('Nested stacks: each layer and the whole stack, equal to the hand computation (guest1 runs on native1)', async () => {
    const d = dashboards.find(([f]) => f === 'overview.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.title === 'Nested stacks: the cost of each layer');
    const [layer, stack] = await Promise.all(panel.targets.map((t: Any) => rows(interpolate(t.query, range, values))));
    const raw = await rows(`SELECT events_per_sec, ok FROM sysbench WHERE test = 'cpu' GROUP BY *`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const of = (agentId: string, variant: string) => mean(raw.filter((r) => r.agent === agentId && r.variant === variant && r.ok).map((r) => r.events_per_sec));
    for (const variant of ['stock', 'patched']) {
      const pick = (rs: Any[]) => rs.find((r) => r.agent === 'guest1' && r.test === 'cpu' && r.metric === 'events_per_sec' && r.variant === variant)!;
      const expected = (of('native1', 'default') / of('guest1', variant) - 1) * 100;
      expect(pick(layer)).toMatchObject({ chain: 'native1 > guest1', depth: 1 });
      expect(pick(layer).layer_pct).toBeCloseTo(expected, 6);
      expect(pick(stack).stack_pct).toBeCloseTo(expected, 6); // one layer: the whole stack is that layer
      expect(pick(stack).layers_ratio).toBeCloseTo(pick(stack).stack_ratio, 9);
      expect(pick(stack).layers_agree).toBe(true);
    }
  });

  it('the relative-performance bars are the mean of 100 / (100 + overhead_pct) over the Current overhead rows, per test and virt', async () => {
    const d = dashboards.find(([f]) => f === 'overview.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.type === 'barchart');
    const got = await rows(interpolate(panel.targets[0].query, range, values));
    // One answer with the table beside it (collector/latest/relative.influx.test.ts holds it on harder data).
    const current = await rows(interpolate(d.panels.find((p: Any) => p.title === 'Current overhead').targets[0].query, range, values));
    for (const test of ['cpu', 'memory']) {
      // A row whose latest run has no overhead (an unmeasurable metric, no overhead_pct) has no part in a bar.
      const mine = current.filter((r) => r.test === test && typeof r.overhead_pct === 'number').map((r) => 100 / (100 + r.overhead_pct));
      expect(mine.length, test).toBeGreaterThan(0);
      const row = got.find((r) => r.test === test)!;
      expect(row.relative).toBeCloseTo(mine.reduce((a, b) => a + b, 0) / mine.length, 9);
    }
  });

  it('Variants: per-variant mean, n and normal-approximation CI equal the hand computation', async () => {
    const d = dashboards.find(([f]) => f === 'variants.json')![1];
    const { values } = await resolveVariables(d);
    expect(values.field).toEqual({ multi: false, value: 'events_per_sec' });
    const panel = d.panels.find((p: Any) => String(p.title).includes('mean and 95 % CI'));
    const got = await rows(interpolate(panel.targets[0].query, range, values));
    const raw = await rows(`SELECT events_per_sec, ok FROM sysbench WHERE test = 'cpu' AND agent = 'guest1' GROUP BY *`);
    for (const variant of ['stock', 'patched']) {
      const xs = raw.filter((r) => r.variant === variant && r.ok).map((r) => r.events_per_sec as number);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
      const row = got.find((r) => r.variant === variant && r.test === 'cpu')!;
      expect(row.n).toBe(xs.length);
      expect(row.mean).toBeCloseTo(m, 6);
      expect(row.stddev).toBeCloseTo(s, 6);
      expect(row.ci_low).toBeCloseTo(m - (1.96 * s) / Math.sqrt(xs.length), 6);
      expect(row.ci_high).toBeCloseTo(m + (1.96 * s) / Math.sqrt(xs.length), 6);
    }
  });

  it('Live run history: each daily point is the mean of its 5-minute windows, and the min and max of the raw samples of that UTC day', async () => {
    const d = dashboards.find(([f]) => f === 'live-run.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.title === 'Events per second, daily history');
    expect(panel.interval).toBe('1d');
    const got = await rows(interpolate(panel.targets[0].query, range, values).replace(/GROUP BY time\([^)]*\)/, 'GROUP BY time(1d)'));
    const raw = await rows(`SELECT events_per_sec FROM ${measurementRef('sysbench_interval')} WHERE events_per_sec >= 0 GROUP BY *`);
    expect(got.length).toBeGreaterThan(0);
    for (const r of got) {
      // The day's samples by 5-minute window (as the continuous query groups them), each window's mean, then their mean.
      const xs = raw.filter((x) => x.agent === r.agent && x.test === r.test && x.variant === r.variant && x.time >= r.time && x.time < r.time + 86_400_000);
      expect(xs.length, JSON.stringify(r)).toBeGreaterThan(0);
      const windows = new Map<number, number[]>();
      for (const x of xs) windows.set(Math.floor(x.time / 300_000), [...(windows.get(Math.floor(x.time / 300_000)) ?? []), x.events_per_sec as number]);
      const means = [...windows.values()].map((w) => w.reduce((a, b) => a + b, 0) / w.length);
      expect(r.events_per_sec).toBeCloseTo(means.reduce((a, b) => a + b, 0) / means.length, 6);
      expect(r.events_per_sec_min).toBe(Math.min(...xs.map((x) => x.events_per_sec as number)));
      expect(r.events_per_sec_max).toBe(Math.max(...xs.map((x) => x.events_per_sec as number)));
    }
  });

  it("Inventory: each agent's newest reported facts; a fact it never reported is empty (shown as unknown)", async () => {
    const d = dashboards.find(([f]) => f === 'agent-health.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.title === 'Inventory' && p.type === 'table');
    expect(panel.fieldConfig.defaults.noValue).toBe('unknown');
    const got = await rows(interpolate(panel.targets[0].query, range, values));
    const raw = await rows('SELECT * FROM agent_info');
    expect(got.map((r) => r.agent).sort()).toEqual(['guest1', 'native1']);
    for (const r of got) {
      const newest = raw.filter((x) => x.agent === r.agent).sort((a, b) => b.time - a.time)[0]!;
      expect(r.time, r.agent).toBe(newest.time);
      for (const f of ['os', 'kernel', 'arch', 'cpu_model', 'cpus', 'memory_bytes', 'agent_version', 'sysbench_version']) {
        expect(r[f], `${r.agent} ${f}`).toBe(newest[f]);
        expect(r[f], `${r.agent} ${f}`).not.toBeNull();
      }
    }
    expect(got.find((r) => r.agent === 'guest1')!.qemu_version).toBe('9.0.0');
    expect(got.find((r) => r.agent === 'native1')!.qemu_version).toBeNull();
  });

  it('Facts changed: the hello that upgraded QEMU, as the collector recorded it', async () => {
    const d = dashboards.find(([f]) => f === 'overview.json')![1];
    const { values } = await resolveVariables(d);
    const a = d.annotations.list.find((x: Any) => x.name === 'Facts changed');
    const got = await rows(interpolate(a.target.query, range, values));
    expect(got.map((r) => [r.agent, r.changed_detail])).toEqual([['guest1', 'qemu_version: 8.2.2 → 9.0.0']]);
  });

  it('Collectors now: the newest collector_stats point of the collector', async () => {
    const d = dashboards.find(([f]) => f === 'agent-health.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.title === 'Collectors now');
    const now = { ...range, toMs: Date.now() + 60_000 };
    const got = await rows(interpolate(panel.targets[0].query, now, values));
    const newest = (await rows('SELECT * FROM collector_stats ORDER BY time DESC LIMIT 1'))[0]!;
    expect(got).toHaveLength(1);
    expect(got[0]!.collector).toBe(newest.collector);
    // Written since: the panel's newest is at least as new, and the counters never go back.
    expect(got[0]!.points_written).toBeGreaterThanOrEqual(newest.points_written);
    expect(got[0]!.points_failed).toBe(0);
    expect(got[0]!.open_streams).toBeGreaterThanOrEqual(0);
  });

  it('a data link from Current overhead opens the guest dashboard on that guest: its panels show its data alone', async () => {
    const overview = dashboards.find(([f]) => f === 'overview.json')![1];
    const table = overview.panels.find((p: Any) => p.title === 'Current overhead');
    expect(table.fieldConfig.defaults.links[0].url).toMatch(/^\/d\/virt-overhead-guest\/.*var-agent=\$\{__data\.fields\.agent\}/);
    const guest = dashboards.find(([f]) => f === 'guest.json')![1];
    const { values } = await resolveVariables(guest, { agent: 'guest1' });
    const panel = (title: string) => guest.panels.find((p: Any) => String(p.title).startsWith(title));
    // Overhead over time: one window over the whole range is the mean of the guest's overhead points.
    const q = interpolate(panel('Overhead of $agent').targets[0].query, range, values).replace(/GROUP BY time\([^)]*\)/, 'GROUP BY time(3650d)');
    const got = await rows(q);
    const raw = await rows(`SELECT overhead_pct, ci_low_pct, ci_high_pct FROM overhead WHERE agent = 'guest1' GROUP BY *`);
    expect(got.length).toBeGreaterThan(0);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const r of got) {
      const mine = raw.filter((x) => x.test === r.test && x.metric === r.metric);
      expect(r.overhead_pct).toBeCloseTo(mean(mine.map((x) => x.overhead_pct)), 9);
      expect(r.ci_low_pct).toBeCloseTo(mean(mine.map((x) => x.ci_low_pct)), 9);
      expect(r.ci_high_pct).toBeCloseTo(mean(mine.map((x) => x.ci_high_pct)), 9);
    }
    // Runs: every trial of guest1, no other agent's.
    const runsGot = await rows(interpolate(panel('Runs of').targets[0].query, range, values));
    const trials = await rows(`SELECT run_id FROM sysbench WHERE agent = 'guest1'`);
    expect(runsGot.length).toBe(trials.length);
    expect(new Set(runsGot.map((r) => r.run_id))).toEqual(new Set(trials.map((r) => r.run_id)));
    // Facts: its newest report.
    const facts = await rows(interpolate(panel('Facts of').targets[0].query, range, values));
    expect(facts.map((r) => [r.agent, r.qemu_version])).toEqual([['guest1', '9.0.0']]);
    // Change points: the one written for guest1.
    const changes = await rows(interpolate(panel('Change points of').targets[0].query, range, values));
    expect(changes.map((r) => [r.test, r.metric, r.kind, r.change_pct])).toEqual([['cpu', 'events_per_sec', 'regression', 8]]);
  });

  it('Agent health: last seen is the time of the newest heartbeat of each agent', async () => {
    const d = dashboards.find(([f]) => f === 'agent-health.json')![1];
    const { values } = await resolveVariables(d);
    const panel = d.panels.find((p: Any) => p.title === 'Last seen');
    const got = await rows(interpolate(panel.targets[0].query, range, values));
    const raw = await rows(`SELECT spooled FROM agent_status GROUP BY *`);
    for (const id of ['native1', 'guest1']) {
      const newest = Math.max(...raw.filter((r) => r.agent === id).map((r) => r.time as number));
      expect(got.find((r) => r.agent === id)?.time, id).toBe(newest);
    }
  });

  it('the alerts\' "worse by" is > 0 exactly for the series whose latest stored verdict is worse', async () => {
    const q = (await import('../grafana/alerting/rules.js')).latestWorseBy.toString();
    const got = await rows(interpolate(q, range, {}));
    const verdicts = await rows(
      `SELECT last("verdict") AS "verdict", last("ci_low_pct") AS lo FROM overhead WHERE time >= ${range.fromMs}ms GROUP BY "group", "agent", "test", "metric", "variant"`,
    );
    expect(got.length).toBeGreaterThan(0);
    for (const v of verdicts) {
      const row = got.find((r) => r.agent === v.agent && r.test === v.test && r.metric === v.metric && r.variant === v.variant)!;
      expect(row.worse_by > 0, JSON.stringify([v, row])).toBe(v.verdict === 'worse');
    }
  });

  it('the provisioned alert rules query real overhead series', async () => {
    const file = parse(readFileSync(join(ROOT, 'grafana/provisioning/alerting/overhead-rules.yaml'), 'utf8'));
    expect(file.apiVersion).toBe(1);
    const rules = file.groups.flatMap((g: Any) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(2);
    for (const rule of rules) {
      const refIds = rule.data.map((q: Any) => q.refId);
      expect(refIds).toContain(rule.condition);
      for (const q of rule.data) {
        if (q.datasourceUid === '__expr__') {
          // Expressions refer only to queries of the same rule.
          for (const ref of String(q.model.expression).match(/[A-Z]+/g) ?? []) expect(refIds).toContain(ref);
          continue;
        }
        expect(q.datasourceUid).toBe('virt-overhead-influxdb');
        const now = Date.now();
        // Grafana evaluates a rule query over [now - from, now - to].
        const series = await influx(
          interpolate(q.model.query, { fromMs: Math.min(now, range.toMs) - q.relativeTimeRange.from * 1000, toMs: Math.max(now, range.toMs) }, {}),
        );
        expect(series.length, `${rule.title} ${q.refId}`).toBeGreaterThan(0);
        for (const a of outerAliases(q.model.query)) expect(series[0]!.columns).toContain(a);
      }
    }
  });
});
