// The collector's options: one list, read from the command line, VIRT_OVERHEAD_* and --config,
// and what they resolve to (CollectorOptions), as agent/config/options.ts does for the agent.
import type { Logger } from 'pino';
import { duration, int, optStr, str, type OptionSpec, type OptionValues } from '../lib/options.js';
import { EXCLUDE_DISTURBED_OPTION, LOG_LEVEL_OPTION, MARGIN_OPTION, marginOption } from '../lib/common-options.js';
import { secretFileWarning } from '../lib/secret-file.js';
import { influxConnection, influxOptions } from '../lib/influx-options.js';
import type { MarginSpec } from '../lib/compare/margin.js';
import type { RetentionSettings } from '../schema/retention.js';
import { retentionDuration, retentionName } from './influx/retention.js';
import type { ServerTlsOptions } from './server/credentials.js';
import { loadTokens, type TokenTable } from './server/tokens.js';
import { RESULT_RATE } from '../schema/bounds.js';
import { FORGET_AFTER_MS } from '../lib/idle-map.js';
import { UsageError } from '../lib/errors.js';

export const COLLECTOR_OPTIONS: OptionSpec[] = [
  { name: 'listen', type: 'address', help: 'gRPC listen address HOST:PORT (loopback unless TLS or --allow-plaintext)', default: '127.0.0.1:50051' },
  ...influxOptions({ help: 'InfluxDB 1.x URL, without a password (see --influx-password-file)', default: 'http://127.0.0.1:8086' }),
  { name: 'database', type: 'string', help: 'InfluxDB database', default: 'virt_overhead' },
  { name: 'no-create-db', type: 'boolean', help: 'do not CREATE DATABASE (InfluxDB Enterprise/3 with the database made by an admin)', default: false },
  { name: 'samples-policy', type: 'string', help: 'retention policy of the interval samples (sysbench_interval)', default: 'samples' },
  {
    name: 'samples-retention',
    type: 'string',
    help: 'how long interval samples are kept: 12h, 30d, 4w or INF (their 5-minute downsampling is kept)',
    default: '30d',
  },
  {
    name: 'kept-policy',
    type: 'string',
    help: "retention policy of everything else (results, overhead, facts, changes, 5-minute samples); made the database's default",
    default: 'autogen',
  },
  { name: 'kept-retention', type: 'string', help: 'how long the kept policy keeps data: INF (forever), or e.g. 104w', default: 'INF' },
  { name: 'tokens', type: 'path', help: 'YAML/JSON list of {token, agent, group}; reloaded on SIGHUP' },
  { name: 'tls-cert', type: 'path', help: 'server certificate (PEM)' },
  { name: 'tls-key', type: 'path', help: 'server private key (PEM)' },
  { name: 'tls-client-ca', type: 'path', help: 'require client certificates signed by this CA (mutual TLS)' },
  { name: 'allow-plaintext', type: 'boolean', help: 'allow plain text on a non-loopback address', default: false },
  { name: 'baseline-window', type: 'duration', help: 'how far apart a guest result and its baseline may be', default: '24h' },
  EXCLUDE_DISTURBED_OPTION,
  MARGIN_OPTION(
    "equivalence margin in % for verdicts: '5' (all), 'lab=3' (a group), 'cpu=2' (a test), 'lab:fileio=10' (a test in a group); default: the table per test and metric (docs/overhead.md)",
  ),
  { name: 'batch-size', type: 'int', min: 1, help: 'points per InfluxDB write', default: '5000' },
  { name: 'flush-interval', type: 'duration', help: 'wait before a partial batch takes a free write slot (0: at once)', default: '0ms' },
  { name: 'rate-limit', type: 'int', min: 1, help: 'messages per second per agent stream (burst 4x)', default: '5000' },
  {
    name: 'result-rate',
    type: 'int',
    min: 1,
    help: `results per second per agent after a burst of ${RESULT_RATE.burst} (each owes an overhead computation; docs/RELIABILITY.md)`,
    default: String(RESULT_RATE.perSec),
  },
  { name: 'idle-timeout', type: 'duration', help: 'close connections that have no stream (unauthenticated or quiet) after this long', default: '60s' },
  {
    name: 'silence-after',
    type: 'duration',
    help: "an agent without a heartbeat this long is silent (agent_silence, alert); above the agents' --status-interval, above their --interval for agents run by a timer",
    default: '5m',
  },
  {
    name: 'forget-after',
    type: 'duration',
    min: '1m',
    help: "an agent not heard from this long leaves the collector's memory (its rate buckets, the history check's newest points, its facts and runs); its next batch costs one more read; at least --silence-after (docs/scaling.md)",
    default: `${FORGET_AFTER_MS / 3_600_000}h`,
  },
  {
    name: 'unhealthy-after',
    type: 'duration',
    help: 'health answers NOT_SERVING once InfluxDB has refused or not answered every write this long',
    default: '60s',
  },
  {
    name: 'metrics-listen',
    type: 'address',
    help: "serve the collector's health for Prometheus at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464; off unless given; docs/grafana.md)",
  },
  { name: 'stats-interval', type: 'duration', help: 'period of collector_stats and of the silence check (0 = off)', default: '60s' },
  LOG_LEVEL_OPTION,
];

export interface CollectorOptions {
  listen: string;
  influxUrl: string;
  /** PEM of the CA that signed an https:// InfluxDB's certificate (--influx-ca). */
  influxCa?: string;
  database: string;
  createDatabase: boolean;
  tokens?: TokenTable | null;
  tls?: ServerTlsOptions;
  baselineWindowMs?: number;
  /** An agent without a heartbeat for this long is written as silent (`agent_silence`; default 5 min). */
  silenceAfterMs?: number;
  /** An agent not heard from this long is forgotten by the collector's per-agent maps (default 24 h; lib/idle-map.ts). */
  forgetAfterMs?: number;
  /** health NOT_SERVING once every write has failed this long (default 60 s). */
  unhealthyAfterMs?: number;
  /** Period of `collector_stats` and of the silence check (default 60 s; 0 = off). */
  statsPeriodMs?: number;
  /** Equivalence margins for verdicts (default: the table per test and metric, lib/compare/margin.ts). */
  margins?: MarginSpec;
  /** Leave disturbed trials out of the overhead comparisons (docs/noise.md). */
  excludeDisturbed?: boolean;
  batchSize?: number;
  flushMs?: number;
  ratePerSec?: number;
  burst?: number;
  /** Results per second per agent after RESULT_RATE.burst (schema/bounds.ts). */
  resultRatePerSec?: number;
  /** Connections without a stream are closed after this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Compute the `overhead` measurement as results arrive (default true). */
  overhead?: boolean;
  /** Find change points (`overhead_change`) after each overhead update (default: with overhead). */
  changes?: boolean;
  /** HOST:PORT for GET /metrics (Prometheus text format); none when undefined. */
  metricsListen?: string;
  /** Retention policies (default: samples 30d, autogen kept forever; schema/retention.ts). */
  retention?: RetentionSettings;
  log: Logger;
}

/** The tokens file (`--tokens`), its problems logged as warnings. */
export function readTokens(path: string, log: Logger): TokenTable {
  return loadTokens(path, (m) => log.warn(m));
}

/**
 * --forget-after against the options it must not undercut (issue 26). Silence is read from the
 * heartbeats in InfluxDB (health/silence.ts), never from what the collector forgets, so no silent
 * agent goes unreported; but a forget time under --silence-after forgets agents that are only
 * between runs (a timer's agent is quiet up to --silence-after), and each of their batches then
 * costs the reads of a new agent. Under the time an emptied results-rate bucket takes to fill
 * again, an agent that paused would come back with a full one early (more than --result-rate).
 */
export function checkForgetAfter(values: OptionValues): void {
  const forgetMs = duration(values, 'forget-after');
  const silenceMs = duration(values, 'silence-after');
  const resultRatePerSec = int(values, 'result-rate');
  const refillS = Math.ceil(RESULT_RATE.burst / resultRatePerSec);
  const given = (name: string) => `--${name} ${str(values, name)}`;
  if (forgetMs < silenceMs)
    throw new UsageError(
      `${given('forget-after')} is shorter than ${given('silence-after')}: the collector would forget agents that are only between runs (each of their batches then reads what a new agent's does); set --forget-after to at least --silence-after`,
    );
  if (forgetMs < refillS * 1000)
    throw new UsageError(
      `${given('forget-after')} is shorter than the ${refillS}s an agent's results-rate bucket takes to fill again (${RESULT_RATE.burst} results at --result-rate ${resultRatePerSec}): an agent that paused would get a full bucket early; set --forget-after to at least ${refillS}s`,
    );
}

/**
 * COLLECTOR_OPTIONS' values as CollectorOptions: files read (tokens, password), warnings about
 * secrets logged, bad values refused with a UsageError naming the option.
 */
export function collectorOptions(values: OptionValues, argv: readonly string[], log: Logger): CollectorOptions {
  const tokensPath = optStr(values, 'tokens');
  const rate = int(values, 'rate-limit');
  const influx = influxConnection(values, argv, (m) => log.warn(m))!;
  const tlsKey = optStr(values, 'tls-key');
  checkForgetAfter(values);
  const keyWarning = tlsKey ? secretFileWarning(tlsKey, '--tls-key') : undefined;
  if (keyWarning) log.warn(keyWarning);
  return {
    listen: str(values, 'listen'),
    influxUrl: influx.url,
    ...(influx.ca !== undefined ? { influxCa: influx.ca } : {}),
    database: str(values, 'database'),
    createDatabase: values['no-create-db'] !== true,
    retention: {
      samples: {
        name: retentionName(str(values, 'samples-policy'), 'samples-policy'),
        duration: retentionDuration(str(values, 'samples-retention'), 'samples-retention'),
      },
      kept: { name: retentionName(str(values, 'kept-policy'), 'kept-policy'), duration: retentionDuration(str(values, 'kept-retention'), 'kept-retention') },
    },
    tokens: tokensPath ? readTokens(tokensPath, log) : null,
    tls: {
      cert: optStr(values, 'tls-cert'),
      key: tlsKey,
      clientCa: optStr(values, 'tls-client-ca'),
      allowPlaintext: values['allow-plaintext'] === true,
    },
    baselineWindowMs: duration(values, 'baseline-window'),
    silenceAfterMs: duration(values, 'silence-after'),
    forgetAfterMs: duration(values, 'forget-after'),
    unhealthyAfterMs: duration(values, 'unhealthy-after'),
    statsPeriodMs: duration(values, 'stats-interval'),
    ...(optStr(values, 'metrics-listen') !== undefined ? { metricsListen: optStr(values, 'metrics-listen') } : {}),
    margins: marginOption(optStr(values, 'margin')),
    excludeDisturbed: values['exclude-disturbed'] === true,
    batchSize: int(values, 'batch-size'),
    flushMs: duration(values, 'flush-interval'),
    ratePerSec: rate,
    resultRatePerSec: int(values, 'result-rate'),
    idleTimeoutMs: duration(values, 'idle-timeout'),
    burst: rate * 4,
    log,
  };
}
