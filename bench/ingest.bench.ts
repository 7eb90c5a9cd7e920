// Collector ingest: N simulated agents (real gRPC clients in a child process) → the collector
// (in this process) → a private influxd; then the very same points written straight to the
// same influxd with the `influx` client in 5 000-point batches. Same run, same machine, so the
// ratio is the figure to trust when other work shares the 2 cores.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPoint } from 'influx';
import pino from 'pino';
import { startCollector } from '../collector/index.js';
import { influxClient } from '../collector/influx/client.js';
import { startInfluxd } from '../collector/influx/influxd.js';
import { identityTags, resultPoint, samplePoint } from '../collector/influx/points.js';
import type { Hello__Output, IntervalSample__Output, Result__Output } from '../proto/index.js';
import type { IngestClientArgs, IngestClientReport } from './ingest-clients.js';
import { simAgentId, simHello, simMessage } from './messages.js';
import { cpuMs, selfCpuMs } from './proc.js';
import { sig } from './stats.js';
import type { BenchResult, BenchSection } from './types.js';
import { measurementRef } from '../schema/retention.js';
import { SEND_WINDOW } from '../agent/stream/sender.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

export interface IngestRow {
  agents: number;
  points: number;
  collectorPointsPerSec: number;
  directPointsPerSec: number;
  ackP50Ms: number;
  ackP99Ms: number;
  /** CPU per point, µs: the collector process, influxd, the client process. */
  collectorCpuUs: number;
  influxdCpuUs: number;
  clientCpuUs: number;
  directInfluxdCpuUs: number;
  directWriterCpuUs: number;
  stored: number;
}

export interface IngestOptions {
  agentCounts?: number[];
  totalPoints?: number;
  window?: number;
  log?: (line: string) => void;
}

const DIRECT_BATCH = 5000;

/** The points the collector writes for one agent's messages, built with the collector's own mapping. */
export function simPoints(agentId: string, count: number, baseNs: bigint): IPoint[] {
  const tags = identityTags(simHello(agentId, 'bench') as unknown as Hello__Output);
  const points: IPoint[] = [];
  for (let k = 0; k < count; k++) {
    const m = simMessage(agentId, k, baseNs);
    points.push(m.result ? resultPoint(tags, m.result as unknown as Result__Output) : samplePoint(tags, m.sample as unknown as IntervalSample__Output));
  }
  return points;
}

function runClients(args: IngestClientArgs, onGo: () => void): Promise<IngestClientReport> {
  const child = fork(new URL('./ingest-clients.js', import.meta.url).pathname, [JSON.stringify(args)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    let report: IngestClientReport | null = null;
    child.on('message', (msg: { type: string }) => {
      if (msg.type === 'ready') {
        onGo();
        child.send({ type: 'go' });
      } else if (msg.type === 'done') report = msg as IngestClientReport;
    });
    child.once('error', reject);
    child.once('exit', (code) => (report ? resolve(report) : reject(new Error(`ingest clients (pid ${child.pid}) exited with ${code} before reporting`))));
  });
}

async function countStored(url: string, database: string): Promise<number> {
  const influx = influxClient(url, database);
  const rows = (await influx.query(`SELECT count(sample_id) AS n FROM ${SAMPLES}; SELECT count(result_id) AS n FROM sysbench`)) as unknown as Array<
    Array<{ n: number }>
  >;
  return rows.reduce((sum, r) => sum + (r[0]?.n ?? 0), 0);
}

export async function measureIngest(opts: IngestOptions = {}): Promise<IngestRow[]> {
  const counts = opts.agentCounts ?? [1, 10, 100, 1000];
  const total = opts.totalPoints ?? 40_000;
  const window = opts.window ?? SEND_WINDOW;
  const say = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-ingest-'));
  const influxd = await startInfluxd({ dir: join(dir, 'influx') });
  const rows: IngestRow[] = [];
  try {
    for (const n of counts) {
      const perAgent = Math.ceil(total / n);
      const points = n * perAgent;
      // Timestamps an hour back: inside the collector's accepted window, one shard for all.
      const baseNs = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n;
      const database = `ingest_n${n}`;
      // Rate limits per agent lifted: this measures capacity; the default 5 000 msg/s and
      // 5 results/s after a burst of 1 000 guard against one runaway agent and would cap N = 1
      // (3 637 results from one agent) by design.
      const collector = await startCollector({
        listen: '127.0.0.1:0',
        influxUrl: influxd.url,
        database,
        createDatabase: true,
        ratePerSec: 1e9,
        burst: 1e9,
        resultRatePerSec: 1e9,
        overhead: false,
        log: pino({ level: 'error' }, pino.destination(2)),
      });
      let before = { self: 0, influxd: 0 };
      let report: IngestClientReport;
      try {
        report = await runClients({ address: collector.address, agents: n, perAgent, baseNs: baseNs.toString(), window }, () => {
          before = { self: selfCpuMs(), influxd: cpuMs(influxd.pid) };
        });
      } finally {
        await collector.stop();
      }
      const collectorCpu = selfCpuMs() - before.self;
      const influxdCpu = cpuMs(influxd.pid) - before.influxd;
      if (report.rejected.length) throw new Error(`ingest N=${n}: the collector rejected simulated messages, e.g. ${report.rejected[0]}`);
      const stored = await countStored(influxd.url, database);

      // The same points, straight to InfluxDB, in 5 000-point batches, one request at a time.
      const directDb = `direct_n${n}`;
      const direct = influxClient(influxd.url, directDb);
      await direct.createDatabase(directDb);
      const all: IPoint[] = [];
      for (let i = 0; i < n; i++) all.push(...simPoints(simAgentId(i), perAgent, baseNs));
      const d0 = { self: selfCpuMs(), influxd: cpuMs(influxd.pid), t: performance.now() };
      for (let i = 0; i < all.length; i += DIRECT_BATCH) await direct.writePoints(all.slice(i, i + DIRECT_BATCH), { precision: 'n' });
      const directMs = performance.now() - d0.t;
      const directWriterCpu = selfCpuMs() - d0.self;
      const directInfluxdCpu = cpuMs(influxd.pid) - d0.influxd;

      const row: IngestRow = {
        agents: n,
        points,
        collectorPointsPerSec: report.acked / (report.elapsedMs / 1000),
        directPointsPerSec: all.length / (directMs / 1000),
        ackP50Ms: report.ackP50Ms,
        ackP99Ms: report.ackP99Ms,
        collectorCpuUs: (collectorCpu * 1000) / points,
        influxdCpuUs: (influxdCpu * 1000) / points,
        clientCpuUs: (report.clientCpuMs * 1000) / points,
        directInfluxdCpuUs: (directInfluxdCpu * 1000) / points,
        directWriterCpuUs: (directWriterCpu * 1000) / points,
        stored,
      };
      rows.push(row);
      say(
        `ingest N=${n}: ${Math.round(row.collectorPointsPerSec)} points/s via collector, ${Math.round(row.directPointsPerSec)} direct, ack p50 ${sig(row.ackP50Ms)} ms p99 ${sig(row.ackP99Ms)} ms, stored ${stored}/${points}`,
      );
    }
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function benchIngest(opts: IngestOptions = {}): Promise<BenchSection> {
  const rows = await measureIngest(opts);
  const window = opts.window ?? SEND_WINDOW;
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const r of rows) {
    const ratio = r.collectorPointsPerSec / r.directPointsPerSec;
    results.push({
      name: `N=${r.agents}: points/s through the collector`,
      value: Math.round(r.collectorPointsPerSec),
      unit: 'points/s',
      goal: '≥ 50 000',
      met: r.collectorPointsPerSec >= 50_000,
    });
    results.push({
      name: `N=${r.agents}: points/s written directly (influx client, 5 000-point batches)`,
      value: Math.round(r.directPointsPerSec),
      unit: 'points/s',
    });
    results.push({ name: `N=${r.agents}: collector / direct`, value: sig(ratio), unit: 'ratio', goal: '≥ 0.7', met: ratio >= 0.7 });
    results.push({ name: `N=${r.agents}: ack latency p50`, value: sig(r.ackP50Ms), unit: 'ms' });
    results.push({ name: `N=${r.agents}: ack latency p99`, value: sig(r.ackP99Ms), unit: 'ms' });
    results.push({ name: `N=${r.agents}: CPU per point, collector + influxd`, value: sig(r.collectorCpuUs + r.influxdCpuUs), unit: 'µs' });
    results.push({ name: `N=${r.agents}: points stored / sent`, value: r.stored, unit: `of ${r.points}`, goal: 'all', met: r.stored === r.points });
  }
  const cost = rows.map((r) => r.collectorCpuUs + r.influxdCpuUs);
  const flatness = Math.max(...cost) / Math.min(...cost);
  results.push({ name: 'cost per point, most / least expensive N', value: sig(flatness), unit: 'ratio', goal: '≤ 1.5 (flat)', met: flatness <= 1.5 });
  for (const r of rows) {
    notes.push(
      `N=${r.agents}: CPU µs per point — collector ${sig(r.collectorCpuUs)}, influxd ${sig(r.influxdCpuUs)}, simulated clients ${sig(r.clientCpuUs)}; ` +
        `direct writes: influxd ${sig(r.directInfluxdCpuUs)}, the writing process ${sig(r.directWriterCpuUs)}. ` +
        `On 2 cores everything together allows at most ${Math.round(2e6 / (r.collectorCpuUs + r.influxdCpuUs + r.clientCpuUs))} points/s through the collector.`,
    );
  }
  const collectorUs = rows.map((r) => r.collectorCpuUs).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  const writerUs = rows.map((r) => r.directWriterCpuUs).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  if (rows.some((r) => r.collectorPointsPerSec < 50_000 || r.collectorPointsPerSec / r.directPointsPerSec < 0.7)) {
    notes.unshift(
      `What limits ingest here: everything shares two cores. Per point the collector spends ${sig(collectorUs)} µs (median over N), the direct writer ${sig(writerUs)} µs, ` +
        'and influxd and the simulated agents their own (figures per N below); together they cap what this machine can pass. ' +
        `With one agent the bound is its window: ${window} records in flight per round trip through the collector and an InfluxDB write (influxd fsyncs its WAL on every write request). ` +
        'The collector writes its own line protocol, batches adaptively with two requests in flight, and takes RecordBatch messages (docs/scaling.md: what the profile showed and what changed). ' +
        'Past one core, several collectors share the load (test/scaleout.test.ts).',
    );
  }
  return {
    title: 'Collector ingest',
    method:
      `${rows[0]?.points ?? 0} points per N, spread over N simulated agents (bench/sim-agent.ts: real gRPC clients from the wire contract, one connection each, hello → welcome → results and interval samples, at most ${window} unacked per agent (agent/stream/sender.ts SEND_WINDOW), packed into RecordBatch messages of up to 128 records, like the real sender; each record is encoded to protobuf before the clock starts and a batch joins their bytes, since a real agent pays its encoding on its own guest: the collector decodes the same messages, test/sim-agent-wire.test.ts). ` +
      'The clients run in a child process (bench/ingest-clients.ts) so that their CPU is counted apart; the collector runs in the benchmark process against a private influxd (one database per N). ' +
      'Points/s = acked messages / time from the first send to the last ack; ack latency = write → ack per message (closed loop, so it includes queueing at full load). ' +
      "CPU per point from process.cpuUsage (collector) and /proc/<pid>/stat (influxd). The direct rate writes the same points (built with the collector's own point mapping) to a fresh database right after, one 5 000-point request at a time. " +
      'The per-agent rate limit is lifted for this run (the default 5 000 messages/s per agent would cap N = 1 by design); overhead computation is off (it runs after the acks and is not part of ingest).',
    results,
    notes,
  };
}
