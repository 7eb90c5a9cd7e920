// The collector: a gRPC server whose agents' messages are validated, batched into InfluxDB and
// acknowledged after InfluxDB accepted them. It keeps no state of its own outside InfluxDB, so
// several can run behind one load balancer (docs/scaling.md).
import * as grpc from '@grpc/grpc-js';
import { InfluxDB, type IPoint } from 'influx';
import type { Logger } from 'pino';
import { loadContract } from '../proto/index.js';
import { AGENT_VERSION } from '../lib/version.js';
import { UsageError } from '../lib/errors.js';
import { redactUrl } from '../lib/secret-file.js';
import { BatchWriter, lineWriter, rawQuery, type OwedMarker } from './influx/writer.js';
import { HistoryGuard } from './influx/history.js';
import { LogLimiter } from './server/log-limit.js';
import { catchUp, OwedWork } from './owed.js';
import { collectorMarkerId, OwedMarkers } from './owed-markers.js';
import { serverCredentials, type ServerTlsOptions } from './server/credentials.js';
import { handleStream, type AgentCall, type StreamContext } from './server/stream.js';
import type { TokenTable } from './server/tokens.js';
import { TokenBucket } from './server/ratelimit.js';
import { createOverheadCalculator, type WrittenResult } from './overhead/index.js';
import { createChainCalculator } from './overhead/chain-calculator.js';
import type { MarginSpec } from '../lib/compare/margin.js';
import { createChangeDetector } from './changes/index.js';
import { recordHello } from './facts/index.js';
import { recordRun, RunFacts } from './facts/runs.js';
import { addHealthService, HEALTH_SERVICES } from './health/grpc.js';
import { checkSilence } from './health/silence.js';
import { WriteTimer, writeStats } from './health/stats.js';
import { hostname } from 'node:os';
import { setDefaultHighWaterMark } from 'node:stream';
import type { Measurement } from '../schema/influx.js';
import { DEFAULT_RETENTION, measurementRef, policyOf, RETENTION_OF, type RetentionSettings } from '../schema/retention.js';
import { checkRetention, setUpRetention } from './influx/setup.js';

export interface CollectorOptions {
  listen: string;
  influxUrl: string;
  database: string;
  createDatabase: boolean;
  tokens?: TokenTable | null;
  tls?: ServerTlsOptions;
  baselineWindowMs?: number;
  /** An agent without a heartbeat for this long is written as silent (`agent_silence`; default 5 min). */
  silenceAfterMs?: number;
  /** Period of `collector_stats` and of the silence check (default 60 s; 0 = off). */
  statsPeriodMs?: number;
  /** Equivalence margins for verdicts (default: each baseline's noise floor). */
  margins?: MarginSpec;
  batchSize?: number;
  flushMs?: number;
  ratePerSec?: number;
  burst?: number;
  /** Connections without a stream are closed after this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Compute the `overhead` measurement as results arrive (default true). */
  overhead?: boolean;
  /** Find change points (`overhead_change`) after each overhead update (default: with overhead). */
  changes?: boolean;
  /** Retention policies (default: samples 30d, autogen kept forever; schema/retention.ts). */
  retention?: RetentionSettings;
  log: Logger;
}

export interface RunningCollector {
  address: string;
  port: number;
  writer: BatchWriter;
  setTokens(tokens: TokenTable | null): void;
  /** Stops accepting, writes what is queued (up to timeoutMs), closes every stream. */
  stop(timeoutMs?: number): Promise<void>;
}

export class InfluxUnreachableError extends Error {
  override name = 'InfluxUnreachableError';
}

export function influxClient(url: string, database: string): InfluxDB {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`'${redactUrl(url)}' is not an InfluxDB URL (e.g. http://127.0.0.1:8086)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`InfluxDB URL '${redactUrl(url)}' must start with http:// or https://`);
  return new InfluxDB({
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    database,
    ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
  });
}

export async function startCollector(opts: CollectorOptions): Promise<RunningCollector> {
  // Configuration errors first: nothing is contacted when the command line is wrong.
  const creds = serverCredentials(opts.listen, opts.tls ?? {});
  const influx = influxClient(opts.influxUrl, opts.database);
  const pings = await influx.ping(5000);
  if (!pings.some((p) => p.online))
    throw new InfluxUnreachableError(`InfluxDB is not reachable at ${redactUrl(opts.influxUrl)} (no answer to /ping within 5 s)`);
  const log = opts.log;
  const retention = opts.retention ?? DEFAULT_RETENTION;
  const target = { url: opts.influxUrl, database: opts.database };
  if (opts.createDatabase) {
    await influx.createDatabase(opts.database);
    await setUpRetention(rawQuery(target), opts.database, retention, log);
  } else await checkRetention(rawQuery(target), opts.database, retention, log);

  const overhead =
    opts.overhead === false
      ? null
      : createOverheadCalculator({ influx, database: opts.database, windowMs: opts.baselineWindowMs ?? 86_400_000, ...opts.margins });
  // Nested stacks: each declaration problem is logged once per collector, not on every batch.
  const reported = new Set<string>();
  const nested =
    opts.overhead === false
      ? null
      : createChainCalculator({
          influx,
          database: opts.database,
          windowMs: opts.baselineWindowMs ?? 86_400_000,
          ...opts.margins,
          onProblem: (p) => {
            const key = `${p.group}\0${p.message}`;
            if (reported.has(key)) return;
            if (reported.size >= 10_000) reported.clear();
            reported.add(key);
            log.warn({ group: p.group, agent: p.agent, problem: p.kind }, `nested stack: ${p.message}`);
          },
        });
  const changes =
    overhead && opts.changes !== false
      ? createChangeDetector({ influx, database: opts.database, overheadWindowMs: opts.baselineWindowMs ?? 86_400_000 })
      : null;
  // Overhead updates run one batch at a time, after the acks: they never delay an agent. What
  // is still owed at stop is left to the next start (owed.ts).
  const owed = new OwedWork(async (results) => {
    if (!overhead) return true;
    let ok = true;
    const failed = (what: string) => (err: Error) => {
      ok = false;
      log.error({ error: err.message, results: results.length }, `${what} failed (tried again, up to 3 times)`);
    };
    await overhead.onResultsWritten(results).catch(failed('overhead computation'));
    await nested?.onResultsWritten(results).catch(failed('nested-stack overhead computation'));
    await changes?.onResultsWritten(results).catch(failed('change point detection'));
    return ok;
  });
  // Each run's facts → one agent_info point, queued before the run's results so its change points see it.
  const runFacts = new RunFacts();
  const onWritten = (points: IPoint[], marker?: OwedMarker) => {
    const runs = runFacts.newRuns(points.filter((p) => p.measurement === 'sysbench'));
    if (runs.length)
      owed.enqueue(async () => {
        for (const run of runs)
          await recordRun(influx, opts.database, run).catch((err: Error) =>
            log.error({ error: err.message, agent: run.tags.agent, run: run.runId }, "writing the run's agent_info failed"),
          );
      });
    if (!overhead) return;
    const results: WrittenResult[] = points
      .filter((p) => p.measurement === 'sysbench')
      .map((p) => ({
        tags: p.tags as Record<string, string>,
        fields: p.fields as Record<string, number | string | boolean>,
        timestamp_ns: String(p.timestamp),
      }));
    // Computed: its marker may go. Not reached when the collector stops first: the marker stays.
    owed.add(results, marker && (() => marker.settle()));
  };
  // Each hello's facts → agent_info, on the same chain so a run's change points see them.
  const onHello: StreamContext['onHello'] = (hello, tags) => {
    owed.enqueue(() =>
      recordHello(influx, opts.database, tags, hello, BigInt(Date.now()) * 1_000_000n)
        .then(() => undefined)
        .catch((err: Error) => log.error({ error: err.message, agent: hello.agent_id }, 'writing agent_info failed')),
    );
  };
  const guard = new HistoryGuard(rawQuery(target), undefined, (m) => measurementRef(m as Measurement, retention));
  const markers = new OwedMarkers(collectorMarkerId(hostname()), rawQuery(target), log);
  const writeTimer = new WriteTimer();
  const writer = new BatchWriter(writeTimer.wrap(lineWriter(target)), {
    batchSize: opts.batchSize,
    flushMs: opts.flushMs,
    log,
    onWritten,
    ...(overhead ? { marker: (timestamps: string[]) => markers.mark(timestamps) } : {}),
    guard,
    policyOf: (m) => (m in RETENTION_OF ? policyOf(m as Measurement, retention) : undefined),
    // A database dropped while the collector runs is created again (unless told not to create it).
    ...(opts.createDatabase
      ? {
          onDatabaseMissing: async () => {
            await influx.createDatabase(opts.database);
            await setUpRetention(rawQuery(target), opts.database, retention, log);
          },
        }
      : {}),
  });
  const limiter = new LogLimiter(log);

  let tokens = opts.tokens ?? null;
  const open = new Set<AgentCall>();
  const buckets = new Map<string, TokenBucket>();
  let pressured = false;
  writer.on('pressure', () => {
    pressured = true;
    log.warn({ queued: writer.queued() }, 'InfluxDB is behind: pausing agent streams');
    for (const c of open) c.pause();
  });
  writer.on('relief', () => {
    pressured = false;
    log.info({ queued: writer.queued() }, 'resuming agent streams');
    for (const c of open) c.resume();
  });

  // grpc-js reads ahead into each call's object stream up to its high-water mark (Node's default
  // for object streams: 16 messages). At up to 1 MiB each, decoded into far larger objects, that
  // read-ahead was most of the collector's memory under a flood, and it lived long enough to be
  // promoted, so V8's old space grew with it (docs/RELIABILITY.md). One message ahead is enough:
  // the handler takes them one at a time. Process-wide, and Node offers no per-stream setting.
  setDefaultHighWaterMark(true, 1);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    // A connection with no stream (never authenticated, or a client that went quiet) is closed
    // after idleTimeoutMs; one whose peer stopped answering pings, after keepalive time + timeout.
    // An agent's open stream is not idle: it stays, with pings, between runs.
    'grpc.max_connection_idle_ms': opts.idleTimeoutMs ?? 60_000,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  const { Collector } = loadContract().virtoverhead.v1;
  server.addService(Collector.service, {
    Stream: (call: AgentCall) =>
      handleStream(call, {
        writer,
        tokens: () => tokens,
        log,
        collectorVersion: AGENT_VERSION,
        ratePerSec: opts.ratePerSec ?? 5000,
        burst: opts.burst ?? 20_000,
        open,
        isPressured: () => pressured,
        buckets,
        limiter,
        onHello,
      }),
  });
  const health = addHealthService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.listen, creds, (err, p) => (err ? reject(new Error(`cannot listen on ${opts.listen}: ${err.message}`)) : resolve(p))),
  );
  const host = opts.listen.replace(/:\d+$/, '');
  // Overhead an earlier collector left owed (its markers), computed in the background.
  if (overhead)
    void catchUp(rawQuery(target), owed, log, 1000, markers.collector).catch((err: Error) =>
      log.warn({ error: err.message }, 'could not compute the overhead owed by an earlier collector; retried at the next start'),
    );
  log.info(
    {
      listen: `${host}:${port}`,
      influx: redactUrl(opts.influxUrl),
      database: opts.database,
      auth: tokens ? `${tokens.size} tokens` : 'none',
      tls: Boolean(opts.tls?.cert),
    },
    'collector listening',
  );

  // Self-stats and the silence check, once per period, one at a time (a slow InfluxDB never piles them up).
  const statsPeriodMs = opts.statsPeriodMs ?? 60_000;
  const collectorId = `${hostname()}:${port}`;
  let statsRun: Promise<void> = Promise.resolve();
  const statsTimer =
    statsPeriodMs > 0
      ? setInterval(() => {
          statsRun = statsRun
            .then(async () => {
              const now = Date.now();
              await writeStats(
                influx,
                opts.database,
                collectorId,
                { openStreams: open.size, pointsWritten: writer.written, pointsFailed: writer.failedWrites, queueDepth: writer.queued() },
                writeTimer,
                now,
              );
              await checkSilence(influx, opts.database, now, { silentAfterMs: opts.silenceAfterMs ?? 300_000, periodMs: statsPeriodMs, retention });
            })
            .catch((err: Error) => log.warn({ error: err.message }, 'collector stats / silence check failed'));
        }, statsPeriodMs)
      : null;
  statsTimer?.unref();

  return {
    address: `${host}:${port}`,
    port,
    writer,
    setTokens(t) {
      tokens = t;
    },
    async stop(timeoutMs = 10_000) {
      // Read nothing new, write what was read (its acks go out), then close every stream.
      for (const s of HEALTH_SERVICES) health.setStatus(s, 'NOT_SERVING');
      if (statsTimer) clearInterval(statsTimer);
      await statsRun;
      for (const c of open) c.pause();
      const flushed = await writer.close(timeoutMs);
      if (!flushed) log.warn('shut down with points InfluxDB had not accepted; their agents will resend them');
      await new Promise((r) => setTimeout(r, 50));
      for (const c of open) if (!c.cancelled) c.end();
      // Within systemd's stop timeout: the computation running gets 5 s; the rest is recorded.
      const left = await owed.stop(5000);
      await markers.flush();
      // Their markers were written with them (owed-markers.ts) and stay for the next start.
      if (left.length)
        log.warn({ results: left.length }, 'stopping before the overhead of every result was computed: recorded in overhead_owed for the next start');
      server.forceShutdown();
    },
  };
}
