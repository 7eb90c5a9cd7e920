// The README's main command: a local InfluxDB (data under the project folder), the collector,
// the agent once as the native baseline, then the results read back from InfluxDB.
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startLocalStack } from '../../collector/stack.js';
import { influxClient } from '../../collector/index.js';
import { latestResultsTable } from '../../collector/results-table.js';
import { packageRoot } from '../../proto/index.js';
import { createLogger } from '../log.js';
import { formatHelp, parseOptions, str, type OptionSpec } from '../options.js';

const OPTIONS: OptionSpec[] = [
  { name: 'data-dir', type: 'string', help: 'where InfluxDB keeps its data and the agent its work files', default: join(packageRoot(), '.data', 'quickstart') },
  { name: 'profile', type: 'string', help: 'agent profile', default: 'quick' },
  { name: 'trials', type: 'string', help: 'trials per test', default: '3' },
  { name: 'keep-running', type: 'boolean', help: 'leave InfluxDB and the collector running until Ctrl-C', default: false },
];

function runAgent(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'cli', 'main.js'), 'agent', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('close', (code) => resolve(code ?? 1));
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values, help } = parseOptions(OPTIONS, argv);
  if (help) {
    process.stdout.write(formatHelp('usage: virt-overhead quickstart [options]', OPTIONS) + '\n');
    return 0;
  }
  const dataDir = str(values, 'data-dir');
  const log = createLogger('quickstart', 'info');
  const stack = await startLocalStack({ dataDir: join(dataDir, 'influxdb'), log: createLogger('collector', 'warn') });
  log.info({ influx: stack.influxUrl, collector: stack.collectorAddress, database: stack.database }, 'local InfluxDB and collector are up');
  try {
    const influx = influxClient(stack.influxUrl, stack.database);
    const before = new Set(((await influx.query(`SELECT run_id, agent FROM sysbench WHERE agent = 'quickstart-native'`)) as unknown as { run_id: string }[]).map((r) => r.run_id));
    const code = await runAgent(['--collector', stack.collectorAddress, '--once', '--profile', str(values, 'profile'), '--trials', str(values, 'trials'), '--role', 'baseline', '--group', 'quickstart', '--agent-id', 'quickstart-native', '--workdir', join(dataDir, 'work')]);
    const runs = ((await influx.query(`SELECT run_id, agent FROM sysbench WHERE agent = 'quickstart-native'`)) as unknown as { run_id: string }[]).map((r) => r.run_id).filter((id) => !before.has(id));
    process.stdout.write(`\nResults read back from InfluxDB (${stack.influxUrl}, database ${stack.database}):\n\n`);
    process.stdout.write((await latestResultsTable(influx, [...new Set(runs)])) + '\n');
    if (values['keep-running'] === true) {
      process.stdout.write(`\nInfluxDB ${stack.influxUrl} and collector ${stack.collectorAddress} keep running; Ctrl-C stops them.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return code;
  } finally {
    await stack.stop();
  }
}
