// virt-overhead report: the overhead comparison table (or the change points, or a variant A/B)
// from InfluxDB, in the terminal or as JSON, JSON lines, CSV or markdown, optionally a
// self-contained HTML file; --fail-on makes it a CI gate.
import { writeFileSync } from 'node:fs';
import { influxUrl } from '../../collector/influx/url.js';
import { nodeHttpQuery, nodeHttpQueryChunks } from '../../collector/influx/node-query.js';
import { influxStore } from '../../collector/store/influx.js';
import { OK_EXIT, STANDARD_EXIT_CODES, duration, formatHelp, optStr, parseOptions, str, type CommandSpec, type OptionSpec } from '../../lib/options.js';
import { EXCLUDE_DISTURBED_OPTION, MARGIN_OPTION, marginOption } from '../../lib/common-options.js';
import { influxConnection, influxOptions } from '../../lib/influx-options.js';
import { UsageError } from '../../lib/errors.js';
import { inertJsonText, inertOutput } from '../../lib/inert.js';
import { redactUrl } from '../../lib/secret-file.js';
import { buildDocument, isEmpty, type ReportDocument, type ReportKind } from '../../collector/report/document.js';
import { FORMATS, renderDocument, type ReportFormat } from '../../collector/report/output.js';
import { FAIL_ON_VALUES, checkFailOn, gateFindings } from '../../collector/report/gate.js';

const SPECS: OptionSpec[] = [
  ...influxOptions({ help: 'InfluxDB 1.x URL, without a password (see --influx-password-file)', default: 'http://127.0.0.1:8086' }),
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
  // The page is the overhead table's or the change points': --compare prints its own table and writes no page.
  {
    name: 'html',
    type: 'path',
    help: "also write a self-contained HTML page to this file (the table or --changes, each guest's overhead over time, the systems' facts)",
    conflicts: ['compare'],
  },
  { name: 'compare', type: 'string', help: 'A,B: variant B against variant A in --group (change, 95 % CI, verdict)', conflicts: ['changes'] },
  {
    ...MARGIN_OPTION(
      "equivalence margin in % for verdicts: '5' (all), 'lab=3' (a group), 'cpu=2' (a test), 'lab:fileio=10' (a test in a group); default: the table per test and metric; use the collector's value to see its verdicts",
    ),
    conflicts: ['changes'],
  },
  { ...EXCLUDE_DISTURBED_OPTION, conflicts: ['changes', 'compare'] },
  { name: 'changes', type: 'boolean', help: 'list change points of the overhead series (E-divisive, issue 14) instead of the table', default: false },
  {
    name: 'format',
    type: 'enum',
    values: FORMATS,
    help: 'table (the terminal), json (one versioned document: docs/report.schema.json), jsonl (one row a line), csv (RFC 4180) or markdown (docs/report-formats.md)',
    default: 'table',
  },
  { name: 'json', type: 'boolean', help: 'the same as --format json', default: false, conflicts: ['format'] },
  {
    name: 'fail-on',
    type: 'list',
    values: FAIL_ON_VALUES,
    noun: '--fail-on value',
    help: 'exit 3 when any guest has one of these verdicts (worse, better, equivalent, inconclusive, unmeasurable) or the period has a change point (change, regression, improvement); e.g. worse,change',
  },
];

/** Exit statuses a CI job can tell apart. */
export const GATE_EXIT = 3;
export const EMPTY_EXIT = 4;

export const COMMAND: CommandSpec = {
  name: 'report',
  usage:
    'usage: virt-overhead report --influx URL --database DB [--group G] [--since 7d] [--format table|json|jsonl|csv|markdown] [--html FILE] [--fail-on worse,change] [--compare A,B] [--margin PCT] [--exclude-disturbed] [--changes]',
  options: SPECS,
  exitCodes: [
    { ...OK_EXIT, meaning: 'the report was printed (and written); nothing matched --fail-on' },
    ...STANDARD_EXIT_CODES.slice(1),
    { code: GATE_EXIT, meaning: '--fail-on: a verdict or change point it names was found (listed on stderr); the report was still printed' },
    { code: EMPTY_EXIT, meaning: 'nothing to report: no results for this group and period (said on stderr; no HTML written)' },
  ],
};

function kindOf(changes: boolean, compare: string | undefined): ReportKind {
  return compare !== undefined ? 'compare' : changes ? 'changes' : 'overhead';
}

function variants(compare: string, group: string | undefined): { a: string; b: string } {
  const [a, b, ...extra] = compare.split(',');
  if (!a || !b || extra.length) throw new UsageError(`--compare takes two variant names, A,B (e.g. stock-qemu,patched-qemu), not '${compare}'`);
  if (group === undefined) throw new UsageError('--compare needs --group: variants are compared within one group');
  return { a, b };
}

/** Why there is nothing to show, in the user's terms. */
function emptyMessage(doc: ReportDocument): string {
  const scope = `${doc.group !== null ? `group '${doc.group}'` : 'any group'} since ${doc.since} in database ${doc.database}`;
  switch (doc.kind) {
    case 'overhead':
      return `no sysbench results for ${scope}`;
    case 'changes':
      return `no overhead series for ${scope}`;
    case 'compare':
      return `no results of both variants '${doc.variantA}' and '${doc.variantB}' for ${scope}`;
  }
}

/**
 * Stored text reaches a terminal inert (lib/inert.ts): the table and markdown keep their own
 * layout, JSON gets \u escapes (the same value parsed). CSV is data for a parser and goes out
 * as stored: RFC 4180 quoting carries a kernel string's line break intact.
 */
function printable(text: string, format: ReportFormat): string {
  if (format === 'csv') return text;
  return format === 'json' || format === 'jsonl' ? inertJsonText(text) : inertOutput(text);
}

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const database = str(values, 'database');
  const group = optStr(values, 'group');
  const compare = optStr(values, 'compare');
  const kind = kindOf(values.changes === true, compare);
  const format = (values.json === true ? 'json' : str(values, 'format')) as ReportFormat;
  const failOn = (values['fail-on'] as string[] | undefined) ?? [];
  checkFailOn(kind, failOn);
  const html = optStr(values, 'html');
  const conn = influxConnection(values, argv, (m) => process.stderr.write(`virt-overhead report: ${m}\n`))!;
  influxUrl(conn.url); // a usage error before anything is read
  const target = { url: conn.url, database, ...(conn.ca !== undefined ? { ca: conn.ca } : {}) };
  // A few queries, no writes: node:http's client, not undici's (node-query.ts).
  const store = influxStore(target, { query: nodeHttpQuery(target), queryChunks: nodeHttpQueryChunks(target) });
  let doc: ReportDocument;
  try {
    doc = await buildDocument(kind, {
      store,
      database,
      sinceMs: duration(values, 'since'),
      metrics: str(values, 'metrics') as 'key' | 'all',
      margins: marginOption(optStr(values, 'margin')),
      excludeDisturbed: values['exclude-disturbed'] === true,
      withChanges: html !== undefined || failOn.some((v) => ['change', 'regression', 'improvement'].includes(v)),
      ...(compare !== undefined ? { variants: variants(compare, group) } : {}),
      ...(group !== undefined ? { group } : {}),
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new Error(`cannot read results from ${redactUrl(conn.url)} database ${database}: ${(err as Error).message}`);
  }
  if (isEmpty(doc)) {
    // A versioned JSON document is still printed (empty), so a pipeline reading it parses it.
    if (format === 'json') process.stdout.write(printable(await renderDocument(doc, format), format));
    process.stderr.write(`nothing to report: ${emptyMessage(doc)}${html ? `; ${html} not written` : ''}\n`);
    return EMPTY_EXIT;
  }
  process.stdout.write(printable(await renderDocument(doc, format), format));
  if (html && doc.kind !== 'compare') {
    // The page's modules load only for --html (test/cli-lazy.test.ts).
    const { renderPage } = await import('../../collector/report/page.js');
    writeFileSync(html, await renderPage(doc, store));
    process.stderr.write(`wrote ${html}\n`);
  }
  const found = gateFindings(doc, failOn);
  if (found.length === 0) return 0;
  process.stderr.write(inertOutput(`--fail-on ${failOn.join(',')}: ${found.length} found\n${found.map((l) => `  ${l}\n`).join('')}`));
  return GATE_EXIT;
}
