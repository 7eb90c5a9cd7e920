// The README's main command: a local InfluxDB (data under the project folder), the collector,
// the native baseline and — when QEMU can run here — a throwaway TCG guest through the lab,
// then the results and the overhead table, read back from InfluxDB.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { influxClient } from '../../collector/influx/client.js';
import { influxStore } from '../../collector/store/influx.js';
import { buildReport, formatReportTable } from '../../collector/report/index.js';
import { latestResultsTable } from '../../collector/report/results-table.js';
import { startLocalStack } from '../../collector/stack.js';
import { labPrerequisites, runLab } from '../../lab/index.js';
import { packageRoot } from '../../lib/root.js';
import { inertOutput } from '../../lib/inert.js';
import { createLogger } from '../log.js';
import { OK_EXIT, USAGE_EXIT, formatHelp, int, parseOptions, str, type CommandSpec, type OptionSpec } from '../../lib/options.js';
import { TRIALS_OPTION } from '../../lib/common-options.js';
import { influxConnection, influxOptions } from '../../lib/influx-options.js';
import { redactUrl } from '../../lib/secret-file.js';

const OPTIONS: OptionSpec[] = [
  {
    name: 'data-dir',
    type: 'path',
    help: 'where InfluxDB keeps its data and the agents their work files',
    default: join(packageRoot(), '.data', 'quickstart'),
    shownDefault: '.data/quickstart in the package folder',
  },
  { name: 'profile', type: 'string', help: 'agent profile', default: 'quick' },
  TRIALS_OPTION('trials per test (more are added while they disagree)', '2'),
  { name: 'no-guest', type: 'boolean', help: 'only the native baseline, no TCG guest', default: false },
  { name: 'keep-running', type: 'boolean', help: 'leave InfluxDB and the collector running until Ctrl-C', default: false },
  ...influxOptions({ help: 'an InfluxDB 1.x of your own, written to instead of a private one under --data-dir (database virt_overhead)' }),
];

const GROUP = 'quickstart';

function runNativeAgent(collector: string, profile: string, trials: number, workdir: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        join(packageRoot(), 'dist', 'cli', 'main.js'),
        'agent',
        '--collector',
        collector,
        '--once',
        '--profile',
        profile,
        '--trials',
        String(trials),
        '--role',
        'baseline',
        '--group',
        GROUP,
        '--agent-id',
        'quickstart-native',
        '--variant',
        'native',
        '--workdir',
        workdir,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.once('close', (code) => resolve(code ?? 1));
  });
}

export const COMMAND: CommandSpec = {
  name: 'quickstart',
  usage: 'usage: virt-overhead quickstart [--no-guest] [--keep-running] [options]',
  options: OPTIONS,
  exitCodes: [OK_EXIT, { code: 1, meaning: 'a run failed (the table shows what was measured)' }, USAGE_EXIT],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const dataDir = str(values, 'data-dir');
  const profile = str(values, 'profile');
  const trials = int(values, 'trials');
  const log = createLogger('quickstart', 'info');
  const missing = values['no-guest'] === true ? [] : labPrerequisites();
  const withGuest = values['no-guest'] !== true && missing.length === 0;
  if (values['no-guest'] !== true && !withGuest)
    log.warn({ missing }, 'no TCG guest this time: the lab needs these (scripts/bootstrap.sh --test installs them)');

  const own = influxConnection(values, argv, (m) => log.warn(m));
  const stack = await startLocalStack({
    dataDir: join(dataDir, 'influxdb'),
    ...(own ? { influxUrl: own.url, influxCa: own.ca } : {}),
    log: createLogger('collector', 'warn'),
  });
  log.info({ influx: redactUrl(stack.influxUrl), collector: stack.collectorAddress, database: stack.database }, 'local InfluxDB and collector are up');
  const started = new Date();
  try {
    let code: number;
    if (withGuest) {
      // The lab runs the native baseline pinned to as many CPUs as the guest gets, then the guest.
      const outcome = await runLab({
        accels: ['tcg'],
        qemus: [{ name: 'default', binary: 'qemu-system-x86_64' }],
        profile,
        trials,
        vcpus: Math.min(2, availableParallelism()),
        memoryMiB: 2048,
        group: GROUP,
        collector: stack.collectorAddress,
        workDir: join(dataDir, 'work'),
        keepGoing: true,
        log: (line) => log.info(line),
      });
      for (const f of outcome.runs.filter((r) => !r.ok)) log.error({ run: f.name }, f.detail);
      code = outcome.runs.every((r) => r.ok) ? 0 : 1;
    } else {
      code = await runNativeAgent(stack.collectorAddress, profile, trials, join(dataDir, 'work'));
    }
    const influx = influxClient(stack.influxUrl, stack.database, own?.ca);
    const runs = (
      (await influx.query(`SELECT run_id, agent FROM sysbench WHERE "group" = '${GROUP}' AND time >= '${started.toISOString()}'`)) as unknown as {
        run_id: string;
      }[]
    ).map((r) => r.run_id);
    process.stdout.write(`\nResults read back from InfluxDB (${redactUrl(stack.influxUrl)}, database ${stack.database}):\n\n`);
    process.stdout.write(inertOutput(await latestResultsTable(influx, [...new Set(runs)])) + '\n');
    if (withGuest) {
      process.stdout.write(`\nOverhead of the TCG guest against this machine (95 % confidence intervals):\n\n`);
      process.stdout.write(
        inertOutput(
          formatReportTable(
            await buildReport({
              store: influxStore({ url: stack.influxUrl, database: stack.database, ...(own?.ca !== undefined ? { ca: own.ca } : {}) }),
              database: stack.database,
              group: GROUP,
              since: started,
            }),
          ),
        ),
      );
    }
    if (values['keep-running'] === true) {
      process.stdout.write(`\nInfluxDB ${redactUrl(stack.influxUrl)} and collector ${stack.collectorAddress} keep running; Ctrl-C stops them.\n`);
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
