import { AGENT_OPTIONS, resolveAgentConfig } from '../../agent/config/options.js';
import { runAgent } from '../../agent/index.js';
import { SysbenchMissingError } from '../../agent/sysbench/runner.js';
import { BUILTIN_PROFILE_NAMES, TESTS } from '../../schema/test-types.js';
import { createLogger } from '../log.js';
import { FAILED_EXIT, OK_EXIT, USAGE_EXIT, formatHelp, parseOptions, type CommandSpec } from '../../lib/options.js';

export const COMMAND: CommandSpec = {
  name: 'agent',
  usage: `usage: virt-overhead agent --collector HOST:PORT [--once | --dry-run | --interval 6h --jitter 10m] [--profile ${BUILTIN_PROFILE_NAMES.join('|')}|FILE] [--tests ${TESTS.join(',')}] [options]`,
  options: AGENT_OPTIONS,
  exitCodes: [
    { ...OK_EXIT, meaning: 'done: every test ran and (with --once) the collector acknowledged every result; or stopped by a signal' },
    { ...FAILED_EXIT, meaning: 'a test failed, sysbench is missing, a result was rejected or lost, or the spool cannot be read' },
    USAGE_EXIT,
    { code: 3, meaning: 'with --once: the collector did not acknowledge everything in --flush-timeout; the rest stays in the spool for the next start' },
  ],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const cfg = resolveAgentConfig(values);
  const log = createLogger('agent', cfg.logLevel);
  try {
    return await runAgent(cfg, log);
  } catch (err) {
    if (err instanceof SysbenchMissingError) {
      process.stderr.write(`virt-overhead agent: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
