// A whole local stack in one call: a private influxd (unless an InfluxDB URL is given) and an
// in-process collector on a free loopback port. Used by quickstart, the lab, tests and benchmarks.
import type { Logger } from 'pino';
import pino from 'pino';
import { startInfluxd, type InfluxdHandle } from './influx/influxd.js';
import { startCollector, type RunningCollector } from './index.js';
import type { TokenTable } from './server/tokens.js';

export interface LocalStackOptions {
  dataDir: string;
  database?: string;
  influxUrl?: string;
  /** PEM of the CA of an https `influxUrl`. */
  influxCa?: string;
  tokens?: TokenTable | null;
  log?: Logger;
  baselineWindowMs?: number;
  /** Collector self-stats and silence checks (see CollectorOptions). */
  silenceAfterMs?: number;
  statsPeriodMs?: number;
}

export interface LocalStack {
  influxUrl: string;
  database: string;
  collectorAddress: string;
  collector: RunningCollector;
  influxd: InfluxdHandle | null;
  stop(): Promise<void>;
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const database = opts.database ?? 'virt_overhead';
  const influxd = opts.influxUrl ? null : await startInfluxd({ dir: opts.dataDir });
  const influxUrl = opts.influxUrl ?? influxd!.url;
  let collector: RunningCollector;
  try {
    collector = await startCollector({
      listen: '127.0.0.1:0',
      influxUrl,
      ...(opts.influxCa !== undefined ? { influxCa: opts.influxCa } : {}),
      database,
      createDatabase: true,
      tokens: opts.tokens ?? null,
      baselineWindowMs: opts.baselineWindowMs,
      ...(opts.silenceAfterMs !== undefined ? { silenceAfterMs: opts.silenceAfterMs } : {}),
      ...(opts.statsPeriodMs !== undefined ? { statsPeriodMs: opts.statsPeriodMs } : {}),
      log: opts.log ?? pino({ level: 'warn' }, pino.destination(2)),
    });
  } catch (err) {
    await influxd?.stop();
    throw err;
  }
  return {
    influxUrl,
    database,
    collectorAddress: collector.address,
    collector,
    influxd,
    async stop() {
      await collector.stop();
      await influxd?.stop();
    },
  };
}
