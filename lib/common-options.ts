// Options several commands share, declared once so their type, bounds and wording agree.
import type { OptionSpec } from './option-types.js';
import { optStr, type OptionValues } from './options.js';
import { UsageError } from './errors.js';
import { parseMarginSpec, type MarginSpec } from './compare/margin.js';

/** Trials per test: at least 1 (one trial gives no interval), at most 100 (a run stays bounded). */
export const TRIALS_OPTION = (help: string, defaultTrials: string): OptionSpec => ({
  name: 'trials',
  type: 'int',
  min: 1,
  max: 100,
  help,
  default: defaultTrials,
});

/** pino's levels. */
export const LOG_LEVEL_OPTION: OptionSpec = {
  name: 'log-level',
  type: 'enum',
  values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  help: 'trace, debug, info, warn, error',
  default: 'info',
};

/**
 * How a client reaches the collector over TLS: the agent and `health` take the same options
 * (the names Telegraf's users know: tls_ca, tls_cert, tls_key, tls_server_name); read with tlsClientOptions().
 */
export const TLS_CLIENT_OPTIONS: OptionSpec[] = [
  { name: 'tls-ca', type: 'path', help: 'CA certificate to verify the collector' },
  { name: 'tls-cert', type: 'path', help: 'client certificate (mutual TLS)' },
  { name: 'tls-key', type: 'path', help: 'client private key (mutual TLS)' },
  { name: 'tls-server-name', type: 'string', help: "name expected in the collector's certificate" },
  { name: 'allow-plaintext', type: 'boolean', help: 'allow plain text to a non-loopback collector', default: false },
];

/** TLS_CLIENT_OPTIONS' values. */
export function tlsClientOptions(v: OptionValues): { ca?: string; cert?: string; key?: string; serverName?: string; allowPlaintext: boolean } {
  return {
    ca: optStr(v, 'tls-ca'),
    cert: optStr(v, 'tls-cert'),
    key: optStr(v, 'tls-key'),
    serverName: optStr(v, 'tls-server-name'),
    allowPlaintext: v['allow-plaintext'] === true,
  };
}

/** --exclude-disturbed (collector and report): the same words in both, so they are read as one choice. */
export const EXCLUDE_DISTURBED_OPTION: OptionSpec = {
  name: 'exclude-disturbed',
  type: 'boolean',
  help: 'leave trials their agent judged disturbed (steal or contention > 5 %, docs/noise.md) out of comparisons; they are counted either way',
  default: false,
};

/** --margin: '5', 'lab=3', 'cpu=2', 'lab:fileio=10' (lib/compare/margin.ts); read with marginOption(). */
export const MARGIN_OPTION = (help: string): OptionSpec => ({ name: 'margin', type: 'string', help });

/** --margin as a MarginSpec; a bad value is a usage error. */
export function marginOption(text: string | undefined): MarginSpec | undefined {
  if (text === undefined) return undefined;
  try {
    return parseMarginSpec(text);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
}
