// virt-overhead report: the overhead comparison table from InfluxDB, optionally as JSON or a
// self-contained HTML file.
import { writeFileSync } from 'node:fs';
import { influxClient } from '../../collector/influx/client.js';
import { formatVariantTable, variantRows } from '../../collector/report/variants.js';
import { OK_EXIT, STANDARD_EXIT_CODES, duration, formatHelp, optStr, parseOptions, str, type CommandSpec, type OptionSpec } from '../../lib/options.js';
import { MARGIN_OPTION, marginOption } from '../../lib/common-options.js';
import { UsageError } from '../../lib/errors.js';
import { inertJson, inertOutput } from '../../lib/inert.js';
import { redactUrl } from '../../lib/secret-file.js';
import { buildReport, formatReportTable, renderHtmlReport } from '../../collector/report/index.js';
import { appendSections, changesReport, formatChangesReport, renderChangesSection } from '../../collector/changes/report.js';
import { buildChainReport } from '../../collector/report/chain/build.js';
import { formatChainReport, renderChainHtml } from '../../collector/report/chain/format.js';

const SPECS: OptionSpec[] = [
  { name: 'influx', type: 'string', help: 'InfluxDB 1.x URL', default: 'http://127.0.0.1:8086' },
  { name: 'database', type: 'string', help: 'InfluxDB database', default: 'virt_overhead' },
  { name: 'group', type: 'string', help: 'only this group (default: every group)' },
  { name: 'since', type: 'duration', help: 'results of this period up to now (e.g. 6h, 7d, 2w)', default: '7d' },
  {
    name: 'metrics',
    type: 'enum',
    values: ['key', 'all'],
    help: "'key' (each test's headline metrics) or 'all'",
    default: 'key',
    conflicts: ['changes', 'compare'],
  },
  // The HTML page is the overhead table's: --changes and --compare print their own text and write no page.
  { name: 'html', type: 'path', help: 'also write a self-contained HTML report to this file', conflicts: ['changes', 'compare'] },
  { name: 'compare', type: 'string', help: 'A,B: variant B against variant A in --group (change, 95 % CI, verdict)', conflicts: ['changes'] },
  {
    ...MARGIN_OPTION(
      "equivalence margin in % for verdicts: '5' (all), 'lab=3' (a group), 'cpu=2' (a test), 'lab:fileio=10' (a test in a group); default: the table per test and metric; use the collector's value to see its verdicts",
    ),
    conflicts: ['changes'],
  },
  { name: 'changes', type: 'boolean', help: 'list change points of the overhead series (E-divisive, issue 14) instead of the table', default: false },
  { name: 'json', type: 'boolean', help: 'print the report data as JSON instead of the table', default: false },
];

export const COMMAND: CommandSpec = {
  name: 'report',
  usage: 'usage: virt-overhead report --influx URL --database DB [--group G] [--since 7d] [--html FILE] [--json] [--compare A,B] [--margin PCT] [--changes]',
  options: SPECS,
  exitCodes: [{ ...OK_EXIT, meaning: 'the report was printed (and written)' }, ...STANDARD_EXIT_CODES.slice(1)],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const database = str(values, 'database');
  const since = duration(values, 'since');
  const metrics = str(values, 'metrics') as 'key' | 'all';
  const influx = influxClient(str(values, 'influx'), database);
  const group = optStr(values, 'group');
  const compare = optStr(values, 'compare');
  const margins = marginOption(optStr(values, 'margin'));
  if (compare !== undefined) {
    const [a, b, ...extra] = compare.split(',');
    if (!a || !b || extra.length) throw new UsageError(`--compare takes two variant names, A,B (e.g. stock-qemu,patched-qemu), not '${compare}'`);
    if (group === undefined) throw new UsageError('--compare needs --group: variants are compared within one group');
    const rows = await variantRows({ influx, database, group, since: new Date(Date.now() - since), variantA: a, variantB: b, margins });
    process.stdout.write(values.json === true ? inertJson(rows, 2) + '\n' : inertOutput(formatVariantTable(rows, a, b)));
    return 0;
  }
  if (values.changes === true) {
    const series = await changesReport({ influx, database, sinceMs: Date.now() - since, ...(group !== undefined ? { group } : {}) });
    process.stdout.write(values.json === true ? inertJson(series, 2) + '\n' : inertOutput(formatChangesReport(series)));
    return 0;
  }
  let report;
  let chains;
  try {
    report = await buildReport({ influx, database, since, metrics, margins, ...(group !== undefined ? { group } : {}) });
    chains = await buildChainReport({ influx, database, since: new Date(Date.now() - since), ...(group !== undefined ? { group } : {}) });
  } catch (err) {
    throw new Error(`cannot read results from ${redactUrl(str(values, 'influx'))} database ${database}: ${(err as Error).message}`);
  }
  const html = optStr(values, 'html');
  if (html) {
    const changes = await changesReport({ influx, database, sinceMs: Date.now() - since, ...(group !== undefined ? { group } : {}) });
    writeFileSync(html, appendSections(renderHtmlReport(report), [renderChangesSection(changes), renderChainHtml(chains)]));
    process.stderr.write(`wrote ${html}\n`);
  }
  process.stdout.write(values.json === true ? inertJson({ ...report, chains }, 2) + '\n' : inertOutput(formatReportTable(report) + formatChainReport(chains)));
  return 0;
}
