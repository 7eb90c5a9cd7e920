// The collector's /metrics (issue 25 item 5), scraped from a real collector process started
// with --metrics-listen after a real agent sent it a run, and read with a real Prometheus text
// parser (parse-prometheus-text-format, a port of the Prometheus Python client's parser; not
// prom-client, which only writes the format). Its numbers must be collector_stats' own: the
// points written and failed equal the collector_stats point written after the scrape, and the
// write histogram counts exactly the writes collector_stats counted, period by period.
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { influxdFixture } from './support/fixture.js';
import { onceAgentArgs, runCli, startCli, type CliResult } from './support/cli.js';
import { listenerSecondsOf } from '../bench/fleet-collector.js';

const DB = 'vo_metrics';
const fx = influxdFixture('vo-metrics-');
const dir = fx.dir;
let collector: { metricsUrl: string; stop: () => Promise<CliResult> };

interface Family {
  name: string;
  type: string;
  help: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; count?: string; sum?: string; buckets?: Record<string, string> }>;
}

async function scrape(): Promise<{ families: Map<string, Family>; text: string; contentType: string | null }> {
  const res = await fetch(collector.metricsUrl);
  expect(res.status).toBe(200);
  const text = await res.text();
  const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  return { families, text, contentType: res.headers.get('content-type') };
}

const value = (families: Map<string, Family>, name: string): number => Number(families.get(name)!.metrics[0]!.value);

async function query(q: string): Promise<Array<Record<string, any>>> {
  return (await influxClient(fx.influxd.url, DB).query(q)) as unknown as Array<Record<string, any>>;
}

beforeAll(async () => {
  const { child, done } = startCli([
    'collector',
    '--listen',
    '127.0.0.1:0',
    '--influx',
    fx.influxd.url,
    '--database',
    DB,
    '--metrics-listen',
    '127.0.0.1:0',
    '--stats-interval',
    '1s',
  ]);
  let out = '';
  const found = await new Promise<{ grpc: string; metrics: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const grpc = /listening on (\S+)/.exec(out);
      const metrics = /metrics on (\S+)/.exec(out);
      if (grpc && metrics) resolve({ grpc: grpc[1]!, metrics: metrics[1]! });
    });
    void done.then((r) => reject(new Error(`collector exited ${r.code}: ${r.stderr}`)));
  });
  collector = { metricsUrl: found.metrics, stop: () => (process.kill(child.pid!, 'SIGTERM'), done) };
  const agent = await runCli(
    onceAgentArgs({ collector: found.grpc, profile: 'quick', tests: 'cpu', trials: 1, agentId: 'm-agent', group: 'metrics', workdir: join(dir, 'agent') }),
  );
  expect(agent.code, agent.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (collector) await collector.stop();
});

describe('collector --metrics-listen', () => {
  it('answers /metrics in the Prometheus text format, mirroring collector_stats', async () => {
    const { families, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families.get('virt_overhead_collector_points_written_total')!.type).toBe('COUNTER');
    expect(families.get('virt_overhead_collector_open_streams')!.type).toBe('GAUGE');
    expect(families.get('virt_overhead_collector_influx_write_seconds')!.type).toBe('HISTOGRAM');
    expect(families.get('virt_overhead_collector_info')!.metrics[0]!.labels!.version).toMatch(/^\d+\.\d+\.\d+/);
    // Node's own (prom-client's default metrics), under the same prefix.
    expect(families.has('virt_overhead_collector_process_cpu_seconds_total')).toBe(true);

    const written = value(families, 'virt_overhead_collector_points_written_total');
    const failed = value(families, 'virt_overhead_collector_points_failed_total');
    const writes = Number(families.get('virt_overhead_collector_influx_write_seconds')!.metrics[0]!.count);
    // The agent's results are in InfluxDB, so at least that many points were written.
    const stored = (await query(`SELECT count("ok") AS n FROM "sysbench" WHERE "agent" = 'm-agent'`))[0]!.n as number;
    expect(stored).toBeGreaterThanOrEqual(1);
    expect(written).toBeGreaterThanOrEqual(stored);
    expect(failed).toBe(0);
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(value(families, 'virt_overhead_collector_open_streams')).toBe(0); // the agent ran --once and left
    expect(value(families, 'virt_overhead_collector_queue_depth')).toBe(0);

    // The collector_stats point written after the scrape holds the same totals (nothing was
    // written since: the agent is gone), and its per-period write counts add up to the histogram's.
    const scrapedAt = Date.now();
    let stats: Record<string, any> | undefined;
    for (let i = 0; i < 150 && !stats; i++) {
      await new Promise((r) => setTimeout(r, 200));
      stats = (await query(`SELECT * FROM "collector_stats" WHERE time > ${scrapedAt}ms ORDER BY time DESC LIMIT 1`))[0];
    }
    expect(stats, 'a collector_stats point after the scrape').toBeDefined();
    expect(stats!.points_written).toBe(written);
    expect(stats!.points_failed).toBe(failed);
    expect(stats!.open_streams).toBe(0);
    const sum = (await query(`SELECT sum("writes") AS w FROM "collector_stats"`))[0]!.w as number;
    expect(sum).toBe(writes);
  }, 120_000);

  it('says what each after-write listener cost: every stored result handed to each calculator, and time spent', async () => {
    const stored = (await query(`SELECT count("ok") AS n FROM "sysbench" WHERE "agent" = 'm-agent'`))[0]!.n as number;
    const of = (families: Map<string, Family>, name: string) =>
      new Map(families.get(name)!.metrics.map((m) => [m.labels!.listener!, Number(m.value)] as const));
    // The work runs after the acks: the agent may have left before the last calculator finished.
    let results = new Map<string, number>();
    let seconds = new Map<string, number>();
    let text = '';
    for (let i = 0; i < 150; i++) {
      const scraped = await scrape();
      const families = scraped.families;
      text = scraped.text;
      results = of(families, 'virt_overhead_collector_after_write_results_total');
      seconds = of(families, 'virt_overhead_collector_after_write_seconds_total');
      if (results.get('change point detection') === stored) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const name of ['recording facts', 'overhead computation', 'sysbench_1d rollup', 'change point detection']) {
      expect(results.get(name), name).toBe(stored);
      expect(seconds.get(name), name).toBeGreaterThan(0);
    }
    // The fleet benchmark reads the same text with its own small reader: it must agree with the parser.
    expect(listenerSecondsOf(text)).toEqual(seconds);
  }, 60_000);

  it('answers only /metrics: another path is 404, a POST 405', async () => {
    const base = collector.metricsUrl.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(collector.metricsUrl, { method: 'POST' })).status).toBe(405);
  });

  it('a --metrics-listen that is not HOST:PORT is refused before anything starts (exit 2)', async () => {
    const r = await runCli(['collector', '--influx', fx.influxd.url, '--database', DB, '--metrics-listen', '127.0.0.1:notaport']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--metrics-listen/);
  });
});
