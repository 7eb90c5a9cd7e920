// The gRPC server: the Collector service (one handleStream per agent stream) and the standard
// health service, bound to the listen address; and the streams paused while InfluxDB is behind.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { setDefaultHighWaterMark } from 'node:stream';
import { loadContract } from '../../proto/index.js';
import { addHealthService, HEALTH_SERVICES } from '../health/grpc.js';
import { handleStream, resumeStream, type AgentCall, type StreamContext } from './stream.js';

export interface CollectorServer {
  port: number;
  /** Says NOT_SERVING on every health service name (at the start of a stop). */
  notServing(): void;
  /** SERVING or NOT_SERVING while running (InfluxDB takes writes or not: health/storing.ts); a stop wins. */
  setServing(serving: boolean): void;
  forceShutdown(): void;
}

export async function serveCollector(listen: string, creds: grpc.ServerCredentials, idleTimeoutMs: number, stream: StreamContext): Promise<CollectorServer> {
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
    'grpc.max_connection_idle_ms': idleTimeoutMs,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  const { Collector } = loadContract().virtoverhead.v1;
  server.addService(Collector.service, { Stream: (call: AgentCall) => handleStream(call, stream) });
  const health = addHealthService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, creds, (err, p) => (err ? reject(new Error(`cannot listen on ${listen}: ${err.message}`)) : resolve(p))),
  );
  let stopping = false;
  return {
    port,
    notServing: () => {
      stopping = true;
      for (const s of HEALTH_SERVICES) health.setStatus(s, 'NOT_SERVING');
    },
    setServing: (serving) => {
      if (!stopping) for (const s of HEALTH_SERVICES) health.setStatus(s, serving ? 'SERVING' : 'NOT_SERVING');
    },
    forceShutdown: () => server.forceShutdown(),
  };
}

/** A queue that says 'pressure' when it is full and 'relief' when it has room again. */
export interface PressureSource {
  on(event: 'pressure' | 'relief', listener: () => void): unknown;
  queued(): number;
}

/**
 * Pauses every open stream while any of the queues is behind (the writer: InfluxDB is slow; the
 * owed work: computations lag the writes), so the agents keep their records spooled and nothing
 * piles up in memory; resumes them when every queue has room. Returns whether one is behind.
 */
export function pauseWhileBehind(queues: Readonly<Record<string, PressureSource>>, open: ReadonlySet<AgentCall>, log: Logger): () => boolean {
  const behind = new Set<string>();
  for (const [name, q] of Object.entries(queues)) {
    q.on('pressure', () => {
      behind.add(name);
      log.warn({ queued: q.queued(), queue: name }, `${name} is behind: pausing agent streams`);
      for (const c of open) c.pause();
    });
    q.on('relief', () => {
      behind.delete(name);
      if (behind.size > 0) return;
      log.info({ queued: q.queued(), queue: name }, 'resuming agent streams');
      for (const c of open) resumeStream(c);
    });
  }
  return () => behind.size > 0;
}
