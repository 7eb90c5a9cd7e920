import { startCollector } from '../../collector/index.js';
import { InfluxUnreachableError } from '../../collector/influx/client.js';
import { collectorOptions, COLLECTOR_OPTIONS } from '../../collector/config.js';
import { watchTokens } from '../../collector/server/tokens.js';
import { createLogger } from '../log.js';
import { STANDARD_EXIT_CODES, formatHelp, optStr, parseOptions, str, type CommandSpec } from '../../lib/options.js';

export const COMMAND: CommandSpec = {
  name: 'collector',
  usage: 'usage: virt-overhead collector [--listen 127.0.0.1:50051] [--influx http://127.0.0.1:8086] [--database virt_overhead] [--no-create-db] [options]',
  options: COLLECTOR_OPTIONS,
  exitCodes: STANDARD_EXIT_CODES,
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const log = createLogger('collector', str(values, 'log-level'));
  const tokensPath = optStr(values, 'tokens');
  const options = collectorOptions(values, argv, log);
  let collector;
  try {
    collector = await startCollector(options);
  } catch (err) {
    if (err instanceof InfluxUnreachableError) {
      process.stderr.write(`virt-overhead collector: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // The address line on stdout lets scripts and tests learn the port when --listen asked for :0.
  process.stdout.write(`listening on ${collector.address}\n`);
  if (collector.metricsAddress) process.stdout.write(`metrics on http://${collector.metricsAddress}/metrics\n`);
  // The tokens are reloaded on SIGHUP and when their file changes; without --tokens SIGHUP must still not kill the collector (Node's default).
  const tokens = tokensPath ? watchTokens(tokensPath, { apply: (t) => collector.setTokens(t), log }) : null;
  process.on('SIGHUP', () => (tokens ? tokens.reload('SIGHUP') : log.info('SIGHUP: nothing to reload (no --tokens)')));
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'shutting down: writing what is queued');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  tokens?.stop();
  await collector.stop();
  log.info('collector stopped');
  // A computation or catch-up query may still be in flight: its work is recorded in
  // overhead_owed (the next start redoes it), so it is not waited for past the stop timeout.
  setTimeout(() => {
    log.warn('exiting with an overhead computation still in flight: its results stay owed for the next start');
    process.exit();
  }, 1000).unref();
  return 0;
}
