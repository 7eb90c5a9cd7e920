// The collector's composition root: a gRPC server whose agents' messages are validated, batched
// into InfluxDB and acknowledged after InfluxDB accepted them; then the listeners (facts,
// overhead, nested stacks, change points) run after each write. It keeps no state of its own
// outside InfluxDB, so several can run behind one load balancer (docs/scaling.md).
import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { AGENT_VERSION } from '../lib/version.js';
import { redactUrl } from '../lib/secret-file.js';
import type { Measurement } from '../schema/influx.js';
import { DEFAULT_RETENTION, measurementRef, policyOf, RETENTION_OF } from '../schema/retention.js';
import type { CollectorOptions } from './config.js';
import { connectInflux } from './influx/client.js';
import { HistoryGuard } from './influx/history.js';
import { checkRetention, setUpRetention } from './influx/setup.js';
import { lineWriter, rawQuery } from './influx/http.js';
import { BatchWriter } from './influx/writer.js';
import type { WriteListener } from './listener.js';
import { influxStore } from './store/influx.js';
import { createFactsRecorder } from './facts/listener.js';
import { createOverheadCalculator } from './overhead/index.js';
import { createLatestKeeper, refreshAllLatest } from './latest/overhead-latest.js';
import { historyRollup } from './rollup/history.js';
import { trialsRollup } from './rollup/trials.js';
import { reportRollup } from './rollup/report-days.js';
import { createChainCalculator, logProblemsOnce } from './overhead/chain/calculator.js';
import { createChangeDetector } from './changes/index.js';
import { startPeriodicChecks } from './health/periodic.js';
import { createClockRecorder } from './health/clock.js';
import { watchStoring } from './health/storing.js';
import { WriteTimer, type StatsSnapshot } from './health/stats.js';
import { collectorRegistry, serveMetrics, type MetricsServer } from './health/metrics.js';
import { Pipeline } from './pipeline.js';
import { collectorMarkerId, OwedMarkers } from './owed-markers.js';
import { serverCredentials } from './server/credentials.js';
import { LogLimiter } from './server/log-limit.js';
import { TokenBucket } from './server/ratelimit.js';
import { TagBudgets } from './server/budget.js';
import { FORGET_AFTER_MS, IdleMap } from '../lib/idle-map.js';
import { RunFacts } from './facts/runs.js';
import { FactsRecorder } from './facts/recorder.js';
import { pauseWhileBehind, serveCollector } from './server/server.js';
import type { AgentCall } from './server/stream.js';
import type { TokenTable } from './server/tokens.js';
import { RESULT_RATE } from '../schema/bounds.js';

/** Waits for p, at most ms (a step of the stop that must not hold it past the unit's timeout). */
const within = (p: Promise<unknown> | undefined, ms: number): Promise<unknown> => Promise.race([p, new Promise((r) => setTimeout(r, ms).unref())]);

export interface RunningCollector {
  address: string;
  /** HOST:PORT of /metrics (--metrics-listen), null when not asked for. */
  metricsAddress: string | null;
  port: number;
  writer: BatchWriter;
  setTokens(tokens: TokenTable | null): void;
  /**
   * Resolves when the work after the writes so far is done (facts, clock checks, and any owed
   * computation): what the ingest benchmark waits for before it stops its clock (bench/ingest-window.ts).
   */
  drained(): Promise<void>;
  /** Stops accepting, writes what is queued (up to timeoutMs), closes every stream. */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startCollector(opts: CollectorOptions): Promise<RunningCollector> {
  // Configuration errors first: nothing is contacted when the command line is wrong.
  const creds = serverCredentials(opts.listen, opts.tls ?? {});
  const influx = await connectInflux(opts.influxUrl, opts.database, opts.influxCa);
  const { log, database } = opts;
  const retention = opts.retention ?? DEFAULT_RETENTION;
  const target = { url: opts.influxUrl, database, ca: opts.influxCa };
  const query = rawQuery(target);
  let backfill: Promise<unknown> = Promise.resolve();
  const createDatabase = async () => {
    await influx.createDatabase(database);
    backfill = (await setUpRetention(query, database, retention, log)).backfill;
  };
  if (opts.createDatabase) await createDatabase();
  else await checkRetention(query, database, retention, log);

  // Derived data is read and written through the store (facts, the nested-stack layers, silence
  // and the collector's stats so far); the agents' records through the writer.
  const store = influxStore(target, { retention, query });
  // After each write, in this order: a run's facts before its overhead, overhead before the
  // layers and change points that read it.
  const windowMs = opts.baselineWindowMs ?? 86_400_000;
  // Per-agent memory of an agent not heard from this long is forgotten (docs/scaling.md).
  const forget = { afterMs: opts.forgetAfterMs ?? FORGET_AFTER_MS };
  const computes = opts.overhead !== false;
  const history = historyRollup({ store, query, database, retention, log });
  const trials = trialsRollup({ store, query, retention, log });
  const reportDays = reportRollup({ store, query, retention, log });
  const listeners: WriteListener[] = [
    createFactsRecorder(store, log, new FactsRecorder(store, undefined, forget), new RunFacts(undefined, forget)),
    createClockRecorder(store, log),
    ...(computes
      ? [
          createOverheadCalculator({ store, windowMs, margins: opts.margins, excludeDisturbed: opts.excludeDisturbed === true }),
          createLatestKeeper({ store, windowMs }),
          history.listener,
          trials.listener,
          reportDays.listener,
          createChainCalculator({ store, windowMs, margins: opts.margins, onProblem: logProblemsOnce(log) }),
          ...(opts.changes !== false ? [createChangeDetector({ store, overheadWindowMs: windowMs })] : []),
        ]
      : []),
  ];
  const pipeline = new Pipeline(listeners, log);

  const markers = new OwedMarkers(collectorMarkerId(hostname()), query, log);
  // /metrics reads the numbers collector_stats writes, at each scrape (health/metrics.ts).
  const snapshot = (): StatsSnapshot => ({
    openStreams: open.size,
    pointsWritten: writer.written,
    pointsFailed: writer.failedWrites,
    queueDepth: writer.queued(),
  });
  const metrics = opts.metricsListen ? collectorRegistry({ snapshot, store, version: AGENT_VERSION, log, listeners: () => pipeline.costs }) : null;
  const writeTimer = new WriteTimer(metrics?.observeWrite);
  const guard = new HistoryGuard(query, undefined, (m) => measurementRef(m as Measurement, retention), undefined, forget);
  const writer = new BatchWriter(writeTimer.wrap(lineWriter(target)), {
    batchSize: opts.batchSize,
    flushMs: opts.flushMs,
    log,
    onWritten: (points, marker) => pipeline.written(points, marker),
    ...(pipeline.owes ? { marker: (byAgent: Map<string, string[]>) => markers.mark(byAgent) } : {}),
    guard,
    policyOf: (m) => (m in RETENTION_OF ? policyOf(m as Measurement, retention) : undefined),
    // A database dropped while the collector runs is created again (unless told not to create it).
    ...(opts.createDatabase ? { onDatabaseMissing: createDatabase } : {}),
  });

  let tokens = opts.tokens ?? null;
  const open = new Set<AgentCall>();
  const server = await serveCollector(opts.listen, creds, opts.idleTimeoutMs ?? 60_000, {
    writer,
    tokens: () => tokens,
    log,
    collectorVersion: AGENT_VERSION,
    ratePerSec: opts.ratePerSec ?? 5000,
    burst: opts.burst ?? 20_000,
    resultRatePerSec: opts.resultRatePerSec ?? RESULT_RATE.perSec,
    open,
    isPressured: pauseWhileBehind({ InfluxDB: writer, 'overhead computation': pipeline.backlog }, open, log),
    buckets: new IdleMap<string, TokenBucket>({ idleMs: forget.afterMs, max: 100_000 }),
    budgets: new TagBudgets(),
    limiter: new LogLimiter(log),
    onHello: (hello, tags) => {
      guard.agentConnected(hello.agent_id);
      pipeline.hello(hello, tags);
    },
  });
  const { port } = server;
  const host = opts.listen.replace(/:\d+$/, '');
  let metricsServer: MetricsServer | null = null;
  if (metrics && opts.metricsListen) {
    try {
      metricsServer = await serveMetrics(opts.metricsListen, metrics.registry, log);
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
  }
  // Work an earlier collector left owed (its markers), done in the background.
  pipeline.catchUp(query, markers.collector);
  // overhead_latest checked against overhead once per start, in the background: filled on a database
  // from before it, mended after a crash between an overhead write and its update. A page of agents
  // at a time: what one read holds does not grow with the fleet.
  if (computes)
    refreshAllLatest(store).then(
      (points) => points > 0 && log.info({ points }, 'overhead_latest brought up to date'),
      (err: Error) => log.warn({ error: err.message }, 'could not check overhead_latest; each series is brought up to date with its next run'),
    );
  // sysbench_interval_1d checked against the 5-minute windows once per start, after their backfill.
  if (computes) history.fill(backfill);
  // sysbench_1d checked against the ok trials once per start.
  if (computes) trials.fill();
  // sysbench_report_1d checked against the trials once per start; `report` trusts it once this finished.
  if (computes) reportDays.fill();
  log.info(
    {
      listen: `${host}:${port}`,
      influx: redactUrl(opts.influxUrl),
      database,
      auth: tokens ? `${tokens.size} tokens` : 'none',
      tls: Boolean(opts.tls?.cert),
      metrics: metricsServer ? `http://${metricsServer.address}/metrics` : 'off',
      // The heap cap in force (NODE_OPTIONS=--max-old-space-size in the unit; docs/install.md "The collector's memory").
      heap_limit_mb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    },
    'collector listening',
  );

  const storing = watchStoring(writer, server.setServing, opts.unhealthyAfterMs ?? 60_000, log);
  const statsPeriodMs = opts.statsPeriodMs ?? 60_000;
  const periodic = startPeriodicChecks({
    store,
    collectorId: `${hostname()}:${port}`,
    periodMs: statsPeriodMs,
    silentAfterMs: opts.silenceAfterMs ?? 300_000,
    timer: writeTimer,
    snapshot,
    log,
  });

  return {
    address: `${host}:${port}`,
    metricsAddress: metricsServer?.address ?? null,
    port,
    writer,
    setTokens(t) {
      tokens = t;
    },
    drained: () => pipeline.drained(),
    async stop(timeoutMs = 10_000) {
      // Within systemd's stop timeout (TimeoutStopSec=30s) in every state (issue 23 item 6): each
      // step has its own bound (2 + 10 + 5 + 2 + 1 s with the default timeout, about 20 s in
      // all), and what is not done is recorded in overhead_owed for the next start. A query still
      // in flight after that is not waited for (the command exits: cli/commands/collector.ts).
      // Read nothing new, write what was read (its acks go out), then close every stream.
      server.notServing();
      storing.stop();
      await within(periodic.stop(), 2000);
      for (const c of open) c.pause();
      const flushed = await writer.close(timeoutMs);
      if (!flushed) log.warn('shut down with points InfluxDB had not accepted; their agents will resend them');
      await new Promise((r) => setTimeout(r, 50));
      for (const c of open) if (!c.cancelled) c.end();
      // The computation running gets 5 s; the rest is recorded.
      const left = await pipeline.stop(5000);
      await within(markers.flush(), 2000);
      // Their markers were written with them (owed-markers.ts) and stay for the next start.
      if (left.length)
        log.warn({ results: left.length }, 'stopping before the overhead of every result was computed: recorded in overhead_owed for the next start');
      server.forceShutdown();
      await within(metricsServer?.stop(), 1000);
    },
  };
}
