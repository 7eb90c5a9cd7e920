import { AGENT_OPTIONS, resolveAgentConfig } from '../../agent/config/options.js';
import { runAgent } from '../../agent/index.js';
import { SysbenchMissingError } from '../../agent/sysbench/runner.js';
import { createLogger } from '../log.js';
import { formatHelp, parseOptions } from '../../lib/options.js';

const USAGE =
  'usage: virt-overhead agent --collector HOST:PORT [--once | --interval 6h --jitter 10m] [--profile seed|quick|FILE] [--tests cpu,threads,fileio,memory,mutex] [options]';

export async function run(argv: string[]): Promise<number> {
  const { values, help } = parseOptions(AGENT_OPTIONS, argv);
  if (help) {
    process.stdout.write(formatHelp(USAGE, AGENT_OPTIONS) + '\n');
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
