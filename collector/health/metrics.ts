// The collector's own health for Prometheus (issue 25 item 5): an opt-in HTTP listener
// (--metrics-listen) answering GET /metrics in the Prometheus text format, so Prometheus or
// Grafana Agent can scrape what collector_stats writes to InfluxDB. The numbers are read at
// scrape time from the same sources as collector_stats (the snapshot, the write timer, the
// agents' spool backlog), so the two cannot disagree; prom-client writes the format.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { spoolBacklog, type StatsSnapshot } from './stats.js';
import type { Store } from '../store/store.js';
import type { ListenerCost } from '../listener.js';

const PREFIX = 'virt_overhead_collector_';

export interface MetricsSources {
  snapshot: () => StatsSnapshot;
  /** For the agents' spool backlog (collector_stats' spool_backlog), read at each scrape. */
  store: Store;
  version: string;
  log: Logger;
  /** Each after-write listener's cost since start, by name (the pipeline's costs). */
  listeners?: () => ReadonlyMap<string, Readonly<ListenerCost>>;
}

/** The registry: what a scrape answers, and where the write timer reports each write. */
export function collectorRegistry(src: MetricsSources): { registry: Registry; observeWrite(seconds: number): void } {
  const registry = new Registry();
  // Process CPU, memory, event loop lag, open file descriptors: what every Node exporter has.
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const gauge = (name: string, help: string, read: (s: StatsSnapshot) => number) =>
    new Gauge({
      name: PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.set(read(src.snapshot()));
      },
    });
  // A total kept by the writer since start: the counter is set to it at each scrape.
  const total = (name: string, help: string, read: (s: StatsSnapshot) => number) =>
    new Counter({
      name: PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(src.snapshot()));
      },
    });
  gauge('open_streams', 'agent streams open now (collector_stats open_streams)', (s) => s.openStreams);
  gauge('queue_depth', 'points not yet accepted by InfluxDB, queued or in a request (collector_stats queue_depth)', (s) => s.queueDepth);
  total('points_written_total', 'points InfluxDB accepted since the collector started (collector_stats points_written)', (s) => s.pointsWritten);
  total('points_failed_total', 'failed InfluxDB write attempts since the collector started (collector_stats points_failed)', (s) => s.pointsFailed);
  // Where the work after the acks goes, per calculator (overhead, rollups, change points, …).
  const perListener = (name: string, help: string, read: (c: Readonly<ListenerCost>) => number) =>
    new Counter({
      name: PREFIX + name,
      help,
      labelNames: ['listener'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [listener, cost] of src.listeners?.() ?? []) this.inc({ listener }, read(cost));
      },
    });
  perListener('after_write_seconds_total', 'wall time each after-write listener spent on the results InfluxDB stored, since start', (c) => c.seconds);
  perListener('after_write_results_total', 'results handed to each after-write listener since start (a retried batch counts again)', (c) => c.results);
  const writes = new Histogram({
    name: PREFIX + 'influx_write_seconds',
    help: 'time of each write request to InfluxDB (collector_stats writes, write_ms_avg, write_ms_max per period)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: PREFIX + 'spool_backlog',
    help: "results the agents hold in their spools, from each agent's newest heartbeat in the last hour (collector_stats spool_backlog)",
    registers: [registry],
    async collect() {
      // InfluxDB unreachable: the gauge keeps its last value and the scrape still answers.
      try {
        this.set(await spoolBacklog(src.store, Date.now()));
      } catch (err) {
        src.log.debug({ error: (err as Error).message }, '/metrics: spool backlog not read');
      }
    },
  });
  new Gauge({ name: PREFIX + 'info', help: "the collector's version (always 1)", labelNames: ['version'], registers: [registry] }).set(
    { version: src.version },
    1,
  );
  return { registry, observeWrite: (seconds) => writes.observe(seconds) };
}

export interface MetricsServer {
  /** HOST:PORT it listens on (the port chosen when :0 was asked for). */
  address: string;
  stop(): Promise<void>;
}

/** Listens on HOST:PORT; GET /metrics answers the registry, anything else 404 or 405. */
export async function serveMetrics(listen: string, registry: Registry, log: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the collector serves /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => {
        log.warn({ error: err.message }, '/metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
      },
    );
  });
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(at + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--metrics-listen ${listen}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    address: `${listen.slice(0, at)}:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's kept-alive connection would hold close() open.
        server.closeAllConnections();
      }),
  };
}
