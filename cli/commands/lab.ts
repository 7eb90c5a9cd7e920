// virt-overhead lab: the native baseline and throwaway QEMU guests (TCG, and KVM when a probe
// guest proves it works) measured with the same profile, then the overhead table.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { buildReport, formatReportTable } from '../../collector/report/index.js';
import { formatVariantTable, variantRows } from '../../collector/report/variants.js';
import { buildChainReport } from '../../collector/report/chain/build.js';
import { influxStore } from '../../collector/store/influx.js';
import { formatChainReport } from '../../collector/report/chain/format.js';
import { startLocalStack, type LocalStack } from '../../collector/stack.js';
import { runLab } from '../../lab/index.js';
import { checkLabChoices, parseAccels, parseLoopbackCollector, parseQemuVariants } from '../../lab/plan.js';
import { packageRoot } from '../../lib/root.js';
import { createLogger } from '../log.js';
import { OK_EXIT, USAGE_EXIT, formatHelp, int, optDuration, optStr, size, parseOptions, str, type CommandSpec, type OptionSpec } from '../../lib/options.js';
import { TRIALS_OPTION } from '../../lib/common-options.js';
import { influxConnection, influxOptions } from '../../lib/influx-options.js';
import { redactUrl } from '../../lib/secret-file.js';
import { inertOutput } from '../../lib/inert.js';

const OPTIONS: OptionSpec[] = [
  { name: 'accel', type: 'list', help: 'accelerators to run guests with: tcg, kvm (kvm only after a probe guest boots)', default: ['tcg', 'kvm'] },
  { name: 'qemu', type: 'multi', help: 'NAME=PATH of a QEMU binary (repeatable); NAME becomes the variant tag', default: [] },
  {
    name: 'rounds',
    type: 'int',
    min: 1,
    max: 50,
    help: 'rounds of every --qemu variant per accelerator, in a balanced random order (AB BA …); compared as pairs',
    shownDefault: '2 with several --qemu, else 1',
  },
  { name: 'profile', type: 'string', help: 'agent profile: quick or seed', default: 'quick' },
  TRIALS_OPTION('trials per test (3 or more give confidence intervals)', '3'),
  {
    name: 'vcpus',
    type: 'int',
    min: 1,
    help: 'guest vCPUs; the native baseline is pinned to as many CPUs',
    default: String(Math.min(2, availableParallelism())),
    shownDefault: "2, or this machine's CPUs if fewer",
  },
  { name: 'memory', type: 'size', min: '512MiB', help: 'guest memory (a guest running node and sysbench needs at least 512MiB)', default: '2GiB' },
  { name: 'collector', type: 'address', help: 'HOST:PORT of a collector on this machine (default: start a local InfluxDB and collector)' },
  ...influxOptions({
    help: 'with --collector: the InfluxDB it writes to, to read the table from (without it the lab says where the results went)',
    needs: 'collector',
  }),
  { name: 'database', type: 'string', help: 'InfluxDB database', default: 'virt_overhead' },
  { name: 'group', type: 'string', help: 'group tag of this lab run (default: lab-<timestamp>)' },
  {
    name: 'data-dir',
    type: 'path',
    help: 'local InfluxDB data and the native agent work files',
    default: join(packageRoot(), '.data', 'lab-run'),
    shownDefault: '.data/lab-run in the package folder',
  },
  { name: 'guest-timeout', type: 'duration', help: "stop a guest after this long (default: from the profile's test time-outs)" },
  { name: 'keep-going', type: 'boolean', help: 'run the guests even when the native baseline failed', default: false },
  { name: 'console', type: 'boolean', help: 'print guest consoles as they run', default: false },
  {
    name: 'nested',
    type: 'boolean',
    help: 'each guest (L1) boots an L2 TCG guest inside itself after its suite (quick cpu + memory): three layers with their parents set',
    default: false,
  },
];

export const COMMAND: CommandSpec = {
  name: 'lab',
  usage:
    'usage: virt-overhead lab [--accel tcg,kvm] [--qemu NAME=PATH ...] [--rounds N] [--profile quick|seed] [--trials N] [--vcpus N] [--memory SIZE] [--collector HOST:PORT]',
  options: OPTIONS,
  exitCodes: [OK_EXIT, { code: 1, meaning: 'a guest or the native baseline failed (the others still ran and were reported)' }, USAGE_EXIT],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const accels = parseAccels((values.accel as string[]) ?? []);
  const qemus = parseQemuVariants((values.qemu as string[] | undefined) ?? []);
  if (optStr(values, 'collector')) parseLoopbackCollector(str(values, 'collector'));
  const trials = int(values, 'trials');
  const vcpus = int(values, 'vcpus');
  // Checked before a local stack starts, so a typo costs nothing.
  checkLabChoices({ profile: str(values, 'profile'), vcpus });
  const memoryMiB = Math.floor(size(values, 'memory') / 1048576);
  const group = optStr(values, 'group') ?? `lab-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
  const dataDir = str(values, 'data-dir');
  const log = (line: string) => process.stderr.write(line + '\n');
  const started = new Date();

  let stack: LocalStack | null = null;
  let collector = optStr(values, 'collector');
  const given = influxConnection(values, argv, log);
  let influxUrl = given?.url;
  const influxCa = given?.ca;
  let database = str(values, 'database');
  if (!collector) {
    stack = await startLocalStack({ dataDir: join(dataDir, 'influxdb'), database, log: createLogger('collector', 'warn') });
    collector = stack.collectorAddress;
    influxUrl = stack.influxUrl;
    database = stack.database;
    log(`lab: local InfluxDB ${influxUrl} (database ${database}) and collector ${collector}`);
  }
  try {
    const outcome = await runLab({
      accels,
      qemus,
      profile: str(values, 'profile'),
      trials,
      vcpus,
      memoryMiB,
      group,
      collector,
      workDir: join(dataDir, 'native-work'),
      keepGoing: values['keep-going'] === true,
      nested: values.nested === true,
      ...(values.rounds !== undefined ? { rounds: int(values, 'rounds') } : {}),
      guestTimeoutMs: optDuration(values, 'guest-timeout'),
      log,
      onConsole: values.console === true ? (l) => process.stderr.write(`  | ${l}\n`) : undefined,
    });
    const seeThem = `virt-overhead report --influx ${influxUrl ? redactUrl(influxUrl) : 'URL'} --database ${database} --group ${group}`;
    if (!influxUrl) {
      // Another collector's InfluxDB: we do not know where it is, only that it acknowledged.
      process.stdout.write(
        `\nvirt-overhead lab, group ${group}: the results went to the collector ${collector}, which stores them in its InfluxDB (database ${database}).\nThe table: ${seeThem}   (URL: that collector's --influx)\n`,
      );
    } else {
      try {
        const store = influxStore({ url: influxUrl, database, ...(influxCa !== undefined ? { ca: influxCa } : {}) });
        const report = await buildReport({ store, database, group, since: started });
        process.stdout.write(`\nvirt-overhead lab, group ${group} (InfluxDB ${redactUrl(influxUrl)}, database ${database}):\n\n`);
        process.stdout.write(inertOutput(formatReportTable(report)));
        process.stdout.write(
          inertOutput(
            formatChainReport(
              await buildChainReport({
                store,
                group,
                since: started,
              }),
            ),
          ),
        );
        // Each further QEMU variant against the first, from their interleaved runs, paired.
        for (const b of qemus.slice(1)) {
          process.stdout.write(`\n${b.name} against ${qemus[0]!.name} (report --compare ${qemus[0]!.name},${b.name}):\n`);
          process.stdout.write(
            inertOutput(
              formatVariantTable(await variantRows({ store, group, since: started, variantA: qemus[0]!.name, variantB: b.name }), qemus[0]!.name, b.name),
            ),
          );
        }
      } catch (err) {
        // The results are stored (the collector acknowledged them); only reading them back failed.
        process.stdout.write(
          `\nvirt-overhead lab, group ${group}: results stored by the collector ${collector}, but the table could not be read from ${redactUrl(influxUrl)}: ${(err as Error).message}\nLater: ${seeThem}\n`,
        );
      }
    }
    if (outcome.kvmProbe) process.stdout.write(`\nKVM: ${outcome.kvmProbe.ranGuest ? 'usable' : 'not usable'} — ${outcome.kvmProbe.detail}\n`);
    const failed = outcome.runs.filter((r) => !r.ok);
    for (const f of failed) process.stdout.write(`\nFAILED ${f.name}: ${f.detail}\n`);
    return failed.length === 0 ? 0 : 1;
  } finally {
    await stack?.stop();
  }
}
