// Months of data (issue 14 item 5, the measuring part): a simulated year of 6-hourly runs of
// 100 guests as `overhead` points (one metric) plus their change points in a private influxd,
// then every query of the committed Overview dashboard (panels and annotations, as Grafana
// interpolates them over the last 365 days with every variable on All) run 10 times each:
// p95 per query against the goal of 1 s per panel.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { startInfluxd } from '../collector/influx/influxd.js';
import { interpolate, type VariableValue } from '../grafana/interpolate.js';
import { loadNoise, simulateGuest } from './changes.bench.js';
import type { BenchResult, BenchSection } from './types.js';

const GUESTS = 100;
const RUNS = 365 * 4;
const REPEATS = 10;
const DB = 'virt_overhead';

export async function benchPanels(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-panels-'));
  const influxd = await startInfluxd({ dir });
  try {
    await fetch(`${influxd.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${DB}`)}`, { method: 'POST' });
    const noise = loadNoise(0.1);
    const endMs = Date.now();
    const startMs = endMs - RUNS * 6 * 3_600_000;
    const agents: string[] = [];
    for (let g = 0; g < GUESTS; g++) {
      const agent = `g${String(g).padStart(3, '0')}`;
      agents.push(agent);
      const sim = simulateGuest(1000 + g, noise);
      const tags = `agent=${agent},baseline_agent=native,container=none,group=bench,host=${agent},kvm=usable,metric=events_per_sec,profile=seed,role=guest,sysbench_version=1.0.20,test=cpu,variant=default,virt=kvm`;
      const lines = sim.overhead.map((v, i) => {
        const t = BigInt(startMs + i * 6 * 3_600_000) * 1_000_000n;
        return `overhead,${tags} overhead_pct=${v},ci_low_pct=${v - 1},ci_high_pct=${v + 1},ratio=${100 / (100 + v)},guest_value=${1000 * (100 / (100 + v))},baseline_value=1000,n_guest=3,n_baseline=3,run_id="r${i}",baseline_run_id="b${i}" ${t}`;
      });
      for (const s of sim.shifts) {
        const t = BigInt(startMs + s.at * 6 * 3_600_000) * 1_000_000n;
        lines.push(
          `overhead_change,${tags},kind=regression,cause=guest before_pct=1,after_pct=2,change_pct=1,p_value=0.0001,run_id="r${s.at}",summary="shift" ${t}`,
        );
      }
      const res = await fetch(`${influxd.url}/write?db=${DB}&precision=n`, { method: 'POST', body: lines.join('\n') });
      if (!res.ok) throw new Error(`write: ${res.status} ${await res.text()}`);
    }
    const d = JSON.parse(readFileSync(join(packageRoot(), 'grafana/dashboards/json/overview.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ query: string }> }>;
      annotations: { list: Array<{ name: string; target?: { query: string } }> };
    };
    const all = (values: string[]): VariableValue => ({ multi: true, values });
    const vars: Record<string, VariableValue> = {
      group: all(['bench']),
      agent: all(agents),
      virt: all(['kvm']),
      test: all(['cpu']),
      variant: all(['default']),
      metric: all(['events_per_sec']),
    };
    const range = { fromMs: endMs - 365 * 86_400_000, toMs: endMs };
    const queries: Array<[string, string]> = [
      ...d.panels.flatMap((p) => (p.targets ?? []).map((t, i): [string, string] => [`panel "${p.title}"${i ? ` #${i + 1}` : ''}`, t.query])),
      ...d.annotations.list.filter((a) => a.target?.query).map((a): [string, string] => [`annotation "${a.name}"`, a.target!.query]),
    ];
    const results: BenchResult[] = [];
    for (const [name, q] of queries) {
      const sql = interpolate(q, range, vars);
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < REPEATS; i++) {
        const t0 = performance.now();
        const res = await fetch(`${influxd.url}/query?db=${DB}&epoch=ms&q=${encodeURIComponent(sql)}`);
        const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: unknown[] }>; error?: string }> };
        times.push(performance.now() - t0);
        if (body.results?.[0]?.error) throw new Error(`${name}: ${body.results[0].error}`);
        rows = (body.results?.[0]?.series ?? []).reduce((n, s) => n + s.values.length, 0);
      }
      times.sort((a, b) => a - b);
      const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!;
      results.push({
        name: `Overview ${name}: p95 over ${REPEATS} runs (${rows} rows)`,
        value: Math.round(p95),
        unit: 'ms',
        goal: '≤ 1 000',
        met: p95 <= 1000,
      });
    }
    return {
      title: 'Months of data: Overview dashboard over a simulated year of 100 guests',
      method: `${GUESTS} guests × ${RUNS} runs (a year of 6-hourly runs ending now) of one metric written as \`overhead\` points (${GUESTS * RUNS} points) plus their \`overhead_change\` points into a private influxd; each query of the committed grafana/dashboards/json/overview.json interpolated as Grafana does over the last 365 days with every variable on All, run ${REPEATS} times.`,
      results,
      notes: [
        'Only the Overview dashboard (the one reading `overhead` over months) is measured; the other dashboards read `sysbench`, `sysbench_interval` and `agent_status`, and `report` was not timed over this data.',
      ],
    };
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
