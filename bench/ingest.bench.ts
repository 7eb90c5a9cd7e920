// Collector ingest: N simulated agents (real gRPC clients in a child process) → the collector
// (in this process) → a private influxd, alternated with the very same points written straight to
// the same influxd with the `influx` client in 5 000-point batches (D C, C D, D C, … pairs). One
// ratio per pair, and the goal decided on the interval of their median (bench/paired-ratio.ts):
// the direct rate alone swings ±15 % between runs on the shared 2 cores.
// Ingest throughput is the rate a collector sustains: its run ends when every message is acked
// AND the work the collector owes for those writes is done (each hello's and run's facts, the
// clock checks: bench/ingest-window.ts), not at the last ack, so a build is not credited for
// work it leaves queued. The overhead computation stays off: it is per result, not per point,
// and the fleet and catch-up benches measure it.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
import { median, sig } from './stats.js';
import { pairedRatio, type PairedRatio } from './paired-ratio.js';
import type { BenchResult, BenchSection } from './types.js';
import { DEFAULT_RETENTION, measurementRef, policyOf } from '../schema/retention.js';
import type { Measurement } from '../schema/influx.js';
import { rawQuery } from '../collector/influx/http.js';
import { ensurePolicies } from '../collector/influx/retention.js';
import { SEND_WINDOW } from '../agent/stream/sender.js';
import { argValue } from './args.js';
import { IngestWindow } from './ingest-window.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

/** One run through the collector. CPU per point, µs: the collector process, influxd, the client process. */
export interface CollectorRun {
  /** Acked points / the window until the owed work was done (ingest-window.ts): the ratio's numerator. */
  pointsPerSec: number;
  /** Acked points / the window until the last ack alone (what the ratio was before, for comparison). */
  ackedPointsPerSec: number;
  /** The last ack → the owed work done, ms (0 when it was done by then). */
  owedTailMs: number;
  /** Agents with facts (`agent_info`) stored once the run ended, of N: each one's hello was recorded. */
  agentsWithFacts: number;
  ackP50Ms: number;
  ackP99Ms: number;
  collectorCpuUs: number;
  influxdCpuUs: number;
  clientCpuUs: number;
  stored: number;
}

/** One direct write of the same points. */
export interface DirectRun {
  pointsPerSec: number;
  influxdCpuUs: number;
  writerCpuUs: number;
  stored: number;
}

export interface IngestRow {
  agents: number;
  points: number;
  /** Pair i: collector run i and direct run i, run one right after the other. */
  collector: CollectorRun[];
  direct: DirectRun[];
  ratio: PairedRatio;
}

export interface IngestOptions {
  agentCounts?: number[];
  totalPoints?: number;
  /** Direct/collector pairs per N (≥ 6 for a 95 % interval of their median ratio). */
  pairs?: number;
  window?: number;
  log?: (line: string) => void;
}

const DIRECT_BATCH = 5000;
export const RATIO_GOAL = 0.7;
/**
 * 10 pairs, five in each order (settle): the 95 % interval of the median is [x(2), x(9)] of the
 * sorted ratios (coverage 97.9 %; 9 pairs would give [x(2), x(8)] but one order twice more than
 * the other). N = 1 … 1 000: about 3.5 min on a quiet machine (estimated from the last quiet
 * run's 20 s for one pair of each N), 8 min at load 10–15 (9 pairs, measured).
 */
export const DEFAULT_PAIRS = 10;

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

/** `ingest` options from `npm run bench` arguments: --ingest-pairs=K, --ingest-agents=1,1000. */
export function ingestOptionsFromArgv(argv: readonly string[]): IngestOptions {
  const get = (name: string) => argValue(argv, name);
  const o: IngestOptions = {};
  const pairs = get('ingest-pairs');
  if (pairs !== undefined) {
    if (!/^\d+$/.test(pairs) || Number(pairs) < 1) throw new Error(`--ingest-pairs=${pairs}: a whole number ≥ 1, please (≥ 6 for an interval)`);
    o.pairs = Number(pairs);
  }
  const agents = get('ingest-agents');
  if (agents !== undefined) {
    const counts = agents.split(',').map(Number);
    if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--ingest-agents=${agents}: agent counts ≥ 1, comma-separated, please`);
    o.agentCounts = counts;
  }
  return o;
}

function runClients(args: IngestClientArgs, onGo: () => void, onAcked: () => void): Promise<IngestClientReport> {
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
      } else if (msg.type === 'acked') onAcked();
      else if (msg.type === 'done') report = msg as IngestClientReport;
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

/** Agents with at least one `agent_info` point (their hello's facts, at least, recorded). */
async function agentsWithFacts(url: string, database: string): Promise<number> {
  const answer = await rawQuery({ url, database })('SHOW TAG VALUES FROM "agent_info" WITH KEY = "agent"');
  return answer.results?.[0]?.series?.[0]?.values?.length ?? 0;
}

type Influxd = Awaited<ReturnType<typeof startInfluxd>>;

async function collectorRun(influxd: Influxd, database: string, n: number, perAgent: number, baseNs: bigint, window: number): Promise<CollectorRun> {
  const points = n * perAgent;
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
  const span = new IngestWindow(() => collector.drained());
  let times: Awaited<ReturnType<IngestWindow['done']>>;
  try {
    report = await runClients(
      { address: collector.address, agents: n, perAgent, baseNs: baseNs.toString(), window },
      () => {
        before = { self: selfCpuMs(), influxd: cpuMs(influxd.pid) };
        span.go();
      },
      () => span.acked(),
    );
    times = await span.done();
  } finally {
    await collector.stop();
  }
  const collectorCpu = selfCpuMs() - before.self;
  const influxdCpu = cpuMs(influxd.pid) - before.influxd;
  if (report.rejected.length) throw new Error(`ingest N=${n}: the collector rejected simulated messages, e.g. ${report.rejected[0]}`);
  return {
    pointsPerSec: report.acked / (times.doneMs / 1000),
    ackedPointsPerSec: report.acked / (times.ackedMs / 1000),
    owedTailMs: times.doneMs - times.ackedMs,
    agentsWithFacts: await agentsWithFacts(influxd.url, database),
    ackP50Ms: report.ackP50Ms,
    ackP99Ms: report.ackP99Ms,
    collectorCpuUs: (collectorCpu * 1000) / points,
    influxdCpuUs: (influxdCpu * 1000) / points,
    clientCpuUs: (report.clientCpuMs * 1000) / points,
    stored: await countStored(influxd.url, database),
  };
}

/**
 * The same points straight to InfluxDB, into a database with the collector's retention
 * policies, each point into the policy the collector writes it to (interval samples in
 * `samples`, results in the default): a /write names one policy, so each policy's points go in
 * 5 000-point requests of their own, one request at a time.
 */
async function directRun(influxd: Influxd, database: string, byPolicy: ReadonlyMap<string | undefined, IPoint[]>, points: number): Promise<DirectRun> {
  const direct = influxClient(influxd.url, database);
  await direct.createDatabase(database);
  await ensurePolicies(rawQuery({ url: influxd.url, database }), database, DEFAULT_RETENTION, pino({ level: 'error' }));
  const d0 = { self: selfCpuMs(), influxd: cpuMs(influxd.pid), t: performance.now() };
  for (const [retentionPolicy, all] of byPolicy)
    for (let i = 0; i < all.length; i += DIRECT_BATCH)
      await direct.writePoints(all.slice(i, i + DIRECT_BATCH), { precision: 'n', ...(retentionPolicy ? { retentionPolicy } : {}) });
  const ms = performance.now() - d0.t;
  return {
    pointsPerSec: points / (ms / 1000),
    writerCpuUs: ((selfCpuMs() - d0.self) * 1000) / points,
    influxdCpuUs: ((cpuMs(influxd.pid) - d0.influxd) * 1000) / points,
    stored: await countStored(influxd.url, database),
  };
}

/**
 * Between two runs: the first run's database dropped, its garbage collected, and influxd and this
 * process idle (under 10 % of a core over 200 ms, for at most 3 s), so that the second run of a
 * pair pays as little as it can for the first's leftovers. Without it the second run was the
 * slower one (9 pairs, load 10–15, collector / direct at N = 10 and 100: medians 0.60 and 0.58
 * with the direct write first, 0.85 and 0.82 with the collector first); with it the gap shrank
 * (6 pairs, load 13–14: 0.45 / 0.44 against 0.57 / 0.57) but did not close, hence also an even
 * number of pairs, half in each order.
 */
async function settle(influxd: Influxd, database: string): Promise<void> {
  await influxClient(influxd.url, database).dropDatabase(database);
  collectGarbage();
  const quietMs = 20;
  for (const t0 = performance.now(); performance.now() - t0 < 3000;) {
    const before = selfCpuMs() + cpuMs(influxd.pid);
    await new Promise((r) => setTimeout(r, 200));
    if (selfCpuMs() + cpuMs(influxd.pid) - before < quietMs) return;
  }
}

/** A full GC now, if the runtime lets us ask for one (node's --expose-gc, turned on here for this process). */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return () => gc?.();
})();

/** The simulated points of N agents grouped by the retention policy the collector writes them to. */
function pointsByPolicy(n: number, perAgent: number, baseNs: bigint): Map<string | undefined, IPoint[]> {
  const byPolicy = new Map<string | undefined, IPoint[]>();
  for (let i = 0; i < n; i++)
    for (const p of simPoints(simAgentId(i), perAgent, baseNs)) {
      const rp = policyOf(p.measurement as Measurement);
      (byPolicy.get(rp) ?? byPolicy.set(rp, []).get(rp)!).push(p);
    }
  return byPolicy;
}

export async function measureIngest(opts: IngestOptions = {}): Promise<IngestRow[]> {
  const counts = opts.agentCounts ?? [1, 10, 100, 1000];
  const total = opts.totalPoints ?? 40_000;
  const pairs = opts.pairs ?? DEFAULT_PAIRS;
  const window = opts.window ?? SEND_WINDOW;
  const say = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-ingest-'));
  // One influxd for the section; every run writes a fresh database, dropped after it (settle),
  // so each run meets the same influxd state (a fresh influxd per pair would add its
  // start-up and cold caches to the first run of each pair).
  const influxd = await startInfluxd({ dir: join(dir, 'influx') });
  const rows: IngestRow[] = [];
  let seq = 0;
  try {
    // Warm-up, discarded: the first collector in this process runs with cold JIT caches.
    {
      const n = counts[0]!;
      const perAgent = Math.ceil(total / n);
      const baseNs = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n;
      await collectorRun(influxd, 'ingest_warmup_c', n, perAgent, baseNs, window);
      await settle(influxd, 'ingest_warmup_c');
      await directRun(influxd, 'ingest_warmup_d', pointsByPolicy(n, perAgent, baseNs), n * perAgent);
      await settle(influxd, 'ingest_warmup_d');
    }
    for (const n of counts) {
      const perAgent = Math.ceil(total / n);
      const points = n * perAgent;
      // Timestamps an hour back: inside the collector's accepted window, one shard for all.
      const baseNs = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n;
      const byPolicy = pointsByPolicy(n, perAgent, baseNs);
      const row: Omit<IngestRow, 'ratio'> = { agents: n, points, collector: [], direct: [] };
      for (let i = 0; i < pairs; i++) {
        const t0 = performance.now();
        const c = `ingest_n${n}_${seq}`;
        const d = `direct_n${n}_${seq++}`;
        // Alternate which side goes first, so a drift in the machine's load or influxd's state
        // during a pair does not favour one side.
        const runD = async () => {
          row.direct.push(await directRun(influxd, d, byPolicy, points));
          await settle(influxd, d);
        };
        const runC = async () => {
          row.collector.push(await collectorRun(influxd, c, n, perAgent, baseNs, window));
          await settle(influxd, c);
        };
        if (i % 2 === 0) {
          await runD();
          await runC();
        } else {
          await runC();
          await runD();
        }
        const [cr, dr] = [row.collector.at(-1)!, row.direct.at(-1)!];
        say(
          `ingest N=${n} pair ${i + 1}/${pairs} (${i % 2 === 0 ? 'D C' : 'C D'}): ${Math.round(cr.pointsPerSec)} points/s via collector, ` +
            `${Math.round(dr.pointsPerSec)} direct, ratio ${sig(cr.pointsPerSec / dr.pointsPerSec)} (to the last ack ${sig(cr.ackedPointsPerSec / dr.pointsPerSec)}, owed work done ${Math.round(cr.owedTailMs)} ms after it), ` +
            `stored ${cr.stored}/${points} and ${dr.stored}/${points}, facts of ${cr.agentsWithFacts}/${n} agents, pair took ${sig((performance.now() - t0) / 1000, 2)} s`,
        );
      }
      const ratio = pairedRatio(
        row.collector.map((c, i) => ({ num: c.pointsPerSec, den: row.direct[i]!.pointsPerSec })),
        RATIO_GOAL,
      );
      rows.push({ ...row, ratio });
      say(
        `ingest N=${n}: median ratio ${sig(ratio.median)}, interval ${ratio.low === null ? 'none' : `${sig(ratio.low)}–${sig(ratio.high!)}`}: ${ratio.verdict}`,
      );
    }
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const med = <T>(xs: readonly T[], f: (x: T) => number) => median(xs.map(f));

export async function benchIngest(opts: IngestOptions = {}): Promise<BenchSection> {
  const rows = await measureIngest(opts);
  const window = opts.window ?? SEND_WINDOW;
  const pairs = opts.pairs ?? DEFAULT_PAIRS;
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const r of rows) {
    const collectorRate = med(r.collector, (c) => c.pointsPerSec);
    const directRate = med(r.direct, (d) => d.pointsPerSec);
    const { ratio } = r;
    const interval =
      ratio.low === null ? `no interval from ${ratio.ratios.length} pairs` : `${sig(ratio.coverage! * 100)} % interval ${sig(ratio.low)}–${sig(ratio.high!)}`;
    results.push({
      name: `N=${r.agents}: points/s through the collector (median of ${r.collector.length} runs)`,
      value: Math.round(collectorRate),
      unit: 'points/s',
      goal: '≥ 50 000',
      met: collectorRate >= 50_000,
    });
    results.push({
      name: `N=${r.agents}: points/s written directly (influx client, 5 000-point batches; median of ${r.direct.length} runs)`,
      value: Math.round(directRate),
      unit: 'points/s',
    });
    results.push({
      name: `N=${r.agents}: collector / direct, median of ${ratio.ratios.length} paired ratios`,
      value: sig(ratio.median),
      unit: `ratio (${interval})`,
      goal: `≥ ${RATIO_GOAL} (decided on the interval)`,
      met: ratio.verdict === 'not shown' ? 'not shown' : ratio.verdict === 'met',
    });
    results.push({ name: `N=${r.agents}: ack latency p50 (median of runs)`, value: sig(med(r.collector, (c) => c.ackP50Ms)), unit: 'ms' });
    results.push({ name: `N=${r.agents}: ack latency p99 (median of runs)`, value: sig(med(r.collector, (c) => c.ackP99Ms)), unit: 'ms' });
    results.push({
      name: `N=${r.agents}: CPU per point, collector + influxd (median of runs)`,
      value: sig(med(r.collector, (c) => c.collectorCpuUs + c.influxdCpuUs)),
      unit: 'µs',
    });
    const stored = r.collector.reduce((s, c) => s + c.stored, 0);
    const sent = r.points * r.collector.length;
    results.push({ name: `N=${r.agents}: points stored / sent, all runs`, value: stored, unit: `of ${sent}`, goal: 'all', met: stored === sent });
    // What the window waited for, seen in InfluxDB: every agent's hello recorded by the end of its run.
    const withFacts = r.collector.reduce((s, c) => s + c.agentsWithFacts, 0);
    const agentRuns = r.agents * r.collector.length;
    results.push({
      name: `N=${r.agents}: agents whose facts were stored when the run ended, all runs`,
      value: withFacts,
      unit: `of ${agentRuns}`,
      goal: 'all',
      met: withFacts === agentRuns,
    });
    // The denominator counts too: a direct write that lost points would flatter the collector.
    const directStored = r.direct.reduce((s, d) => s + d.stored, 0);
    results.push({
      name: `N=${r.agents}: direct points stored / written, all runs`,
      value: directStored,
      unit: `of ${sent}`,
      goal: 'all',
      met: directStored === sent,
    });
  }
  const cost = rows.map((r) => med(r.collector, (c) => c.collectorCpuUs + c.influxdCpuUs));
  const flatness = Math.max(...cost) / Math.min(...cost);
  results.push({ name: 'cost per point, most / least expensive N', value: sig(flatness), unit: 'ratio', goal: '≤ 1.5 (flat)', met: flatness <= 1.5 });
  for (const r of rows) {
    const c = (f: (x: CollectorRun) => number) => sig(med(r.collector, f));
    const d = (f: (x: DirectRun) => number) => sig(med(r.direct, f));
    const ackedRatio = median(r.collector.map((x, i) => x.ackedPointsPerSec / r.direct[i]!.pointsPerSec));
    notes.push(
      `N=${r.agents}: pair ratios in the order run ${r.ratio.ratios.map((x) => sig(x)).join(', ')}; ` +
        `the owed work (facts) done ${sig(med(r.collector, (x) => x.owedTailMs))} ms (median) after the last ack, the ratio to the last ack alone ${sig(ackedRatio)} (median); ` +
        `CPU µs per point (medians) — collector ${c((x) => x.collectorCpuUs)}, influxd ${c((x) => x.influxdCpuUs)}, simulated clients ${c((x) => x.clientCpuUs)}; ` +
        `direct writes: influxd ${d((x) => x.influxdCpuUs)}, the writing process ${d((x) => x.writerCpuUs)}. ` +
        `On 2 cores everything together allows at most ${Math.round(2e6 / med(r.collector, (x) => x.collectorCpuUs + x.influxdCpuUs + x.clientCpuUs))} points/s through the collector.`,
    );
  }
  const collectorUs = median(rows.map((r) => med(r.collector, (c) => c.collectorCpuUs)));
  const writerUs = median(rows.map((r) => med(r.direct, (d) => d.writerCpuUs)));
  if (rows.some((r) => r.ratio.verdict !== 'met' || med(r.collector, (c) => c.pointsPerSec) < 50_000)) {
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
      `${rows[0]?.points ?? 0} points per run, spread over N simulated agents (bench/sim-agent.ts: real gRPC clients from the wire contract, one connection each, hello → welcome → results and interval samples, at most ${window} unacked per agent (agent/stream/sender.ts SEND_WINDOW), packed into RecordBatch messages of up to 128 records, like the real sender; each record is encoded to protobuf before the clock starts and a batch joins their bytes, since a real agent pays its encoding on its own guest: the collector decodes the same messages, test/sim-agent-wire.test.ts). ` +
      'The clients run in a child process (bench/ingest-clients.ts) so that their CPU is counted apart; the collector runs in the benchmark process, a fresh one per run, against one private influxd for the whole section. ' +
      'Points/s through the collector = acked messages / time from "go" until the last ack AND the work the collector owes for those writes is done (every hello\'s and run\'s facts, the clock checks: its after-write queue drained; bench/ingest-window.ts), timed in the benchmark process: ingest throughput is the rate a collector sustains, so a build is not credited for work it leaves queued at the last ack (a stop drops queued facts); the ratio to the last ack alone is in the notes. ' +
      'Ack latency = write → ack per message (closed loop, so it includes queueing at full load). ' +
      "CPU per point from process.cpuUsage (collector) and /proc/<pid>/stat (influxd). The direct rate writes the same points (built with the collector's own point mapping) into a database with the collector's retention policies, each point into the policy the collector stores it in (interval samples in `samples`, results in the default; a /write names one policy), one 5 000-point request at a time. " +
      `Direct (D) and collector (C) runs alternate in ${pairs} pairs per N, D C then C D and so on, each run into a fresh database; after each run its database is dropped, a full GC run in the benchmark process and influxd and it left to go idle (at most 3 s), so neither run of a pair pays for the other's leftovers; one discarded warm-up pair first; ` +
      'the ratio is taken within each pair, and the goal is decided on the distribution-free 95 % interval of the median pair ratio (order statistics, lib/stats/median-ci.ts; bench/paired-ratio.ts): met if its lower end is ≥ 0.7, NOT met if its upper end is below, otherwise not shown. ' +
      'The per-agent rate limit is lifted for this run (the default 5 000 messages/s per agent would cap N = 1 by design); overhead computation is off (work owed per result, not per point: the fleet and catch-up benches measure it).',
    results,
    notes,
  };
}
