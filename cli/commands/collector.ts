import { startCollector, InfluxUnreachableError } from '../../collector/index.js';
import { COLLECTOR_OPTIONS } from '../../collector/config.js';
import { loadTokens } from '../../collector/server/tokens.js';
import { retentionDuration, retentionName } from '../../collector/influx/retention.js';
import { createLogger } from '../log.js';
import { readSecretFile, redactUrl, secretFileWarning, withCredentials } from '../../lib/secret-file.js';
import { duration, formatHelp, int, optStr, parseOptions, str, type OptionValues } from '../../lib/options.js';
import { UsageError } from '../../lib/errors.js';
import { parseMarginSpec, type MarginSpec } from '../../lib/compare/margin.js';

/** --margin as a MarginSpec; a bad value is a usage error. */
export function marginOption(text: string | undefined): MarginSpec | undefined {
  if (text === undefined) return undefined;
  try {
    return parseMarginSpec(text);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
}

const USAGE =
  'usage: virt-overhead collector [--listen 127.0.0.1:50051] [--influx http://127.0.0.1:8086] [--database virt_overhead] [--no-create-db] [options]';

/** --influx plus --influx-username/--influx-password-file; a password on the command line is warned about. */
function influxUrlFrom(values: OptionValues, argv: string[], log: { warn: (msg: string) => void }): string {
  const url = str(values, 'influx');
  const user = optStr(values, 'influx-username');
  const passwordFile = optStr(values, 'influx-password-file');
  if (argv.some((a) => /:\/\/[^/@\s]*:[^/@\s]*@/.test(a))) {
    log.warn(
      `the InfluxDB password in --influx ${redactUrl(url)} is visible to every user in the process list: use --influx-username and --influx-password-file`,
    );
  }
  if (!passwordFile) {
    if (user) throw new UsageError('--influx-username needs --influx-password-file (the password is never taken on the command line)');
    return url;
  }
  if (!user) throw new UsageError('--influx-password-file needs --influx-username');
  const secret = readSecretFile(passwordFile, '--influx-password-file');
  if (secret.warning) log.warn(secret.warning);
  return withCredentials(url, user, secret.value);
}

export async function run(argv: string[]): Promise<number> {
  const { values, help } = parseOptions(COLLECTOR_OPTIONS, argv);
  if (help) {
    process.stdout.write(formatHelp(USAGE, COLLECTOR_OPTIONS) + '\n');
    return 0;
  }
  const log = createLogger('collector', str(values, 'log-level'));
  const tokensPath = optStr(values, 'tokens');
  const rate = int(values, 'rate-limit');
  const influxUrl = influxUrlFrom(values, argv, log);
  const tlsKey = optStr(values, 'tls-key');
  const keyWarning = tlsKey ? secretFileWarning(tlsKey, '--tls-key') : undefined;
  if (keyWarning) log.warn(keyWarning);
  let collector;
  try {
    collector = await startCollector({
      listen: str(values, 'listen'),
      influxUrl,
      database: str(values, 'database'),
      createDatabase: values['no-create-db'] !== true,
      retention: {
        samples: {
          name: retentionName(str(values, 'samples-policy'), 'samples-policy'),
          duration: retentionDuration(str(values, 'samples-retention'), 'samples-retention'),
        },
        kept: { name: retentionName(str(values, 'kept-policy'), 'kept-policy'), duration: retentionDuration(str(values, 'kept-retention'), 'kept-retention') },
      },
      tokens: tokensPath ? loadTokens(tokensPath, (m) => log.warn(m)) : null,
      tls: {
        cert: optStr(values, 'tls-cert'),
        key: optStr(values, 'tls-key'),
        clientCa: optStr(values, 'tls-client-ca'),
        allowPlaintext: values['allow-plaintext'] === true,
      },
      baselineWindowMs: duration(values, 'baseline-window'),
      silenceAfterMs: duration(values, 'silence-after'),
      statsPeriodMs: duration(values, 'stats-interval'),
      margins: marginOption(optStr(values, 'margin')),
      batchSize: int(values, 'batch-size'),
      flushMs: duration(values, 'flush-interval'),
      ratePerSec: rate,
      idleTimeoutMs: duration(values, 'idle-timeout'),
      burst: rate * 4,
      log,
    });
  } catch (err) {
    if (err instanceof InfluxUnreachableError) {
      process.stderr.write(`virt-overhead collector: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // The address line on stdout lets scripts and tests learn the port when --listen asked for :0.
  process.stdout.write(`listening on ${collector.address}\n`);
  // SIGHUP reloads the tokens; without --tokens it must still not kill the collector (Node's default).
  process.on('SIGHUP', () => {
    if (!tokensPath) {
      log.info('SIGHUP: nothing to reload (no --tokens)');
      return;
    }
    try {
      collector.setTokens(loadTokens(tokensPath, (m) => log.warn(m)));
      log.info({ tokens: tokensPath }, 'tokens reloaded');
    } catch (err) {
      log.error({ error: (err as Error).message }, 'tokens reload failed; keeping the old tokens');
    }
  });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'shutting down: writing what is queued');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await collector.stop();
  log.info('collector stopped');
  return 0;
}
