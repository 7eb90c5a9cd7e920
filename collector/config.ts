// The collector's options: one list, read from the command line, VIRT_OVERHEAD_* and --config.
import type { OptionSpec } from '../lib/options.js';
import { LOG_LEVEL_OPTION } from '../lib/common-options.js';

export const COLLECTOR_OPTIONS: OptionSpec[] = [
  { name: 'listen', type: 'string', help: 'gRPC listen address HOST:PORT (loopback unless TLS or --allow-plaintext)', default: '127.0.0.1:50051' },
  { name: 'influx', type: 'string', help: 'InfluxDB 1.x URL, without a password (see --influx-password-file)', default: 'http://127.0.0.1:8086' },
  { name: 'influx-username', type: 'string', help: 'InfluxDB user (with --influx-password-file)' },
  { name: 'influx-password-file', type: 'path', help: 'file holding the InfluxDB password, e.g. a systemd credential (%d/influx-password)' },
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
  {
    name: 'margin',
    type: 'string',
    help: "equivalence margin in % for verdicts: '2' (every group) or 'lab=2,prod=5' (default: each baseline's measured noise floor)",
  },
  { name: 'batch-size', type: 'int', min: 1, help: 'points per InfluxDB write', default: '5000' },
  { name: 'flush-interval', type: 'duration', help: 'longest wait before a partial batch is written', default: '50ms' },
  { name: 'rate-limit', type: 'int', min: 1, help: 'messages per second per agent stream (burst 4x)', default: '5000' },
  { name: 'idle-timeout', type: 'duration', help: 'close connections that have no stream (unauthenticated or quiet) after this long', default: '60s' },
  {
    name: 'silence-after',
    type: 'duration',
    help: "an agent without a heartbeat this long is silent (agent_silence, alert); above the agents' --status-interval, above their --interval for agents run by a timer",
    default: '5m',
  },
  { name: 'stats-interval', type: 'duration', help: 'period of collector_stats and of the silence check (0 = off)', default: '60s' },
  LOG_LEVEL_OPTION,
];
