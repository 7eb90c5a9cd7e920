// virt-overhead parse FILE... [--json]: sysbench output (any version) -> Invocation objects.
// Exit 0 when every invocation is ok, 1 when any failed or printed no statistics (a file with
// no invocation at all counts as failed), 2 when a file cannot be read.
import { readFileSync } from 'node:fs';
import type { Invocation } from '../../agent/sysbench/fields.js';
import { parseSysbenchOutput } from '../../agent/sysbench/parser/index.js';
import { USAGE_EXIT, formatHelp, parseOptions, type CommandSpec, type OptionSpec } from '../../lib/options.js';
import { UsageError } from '../../lib/errors.js';
import { inertJson, inertOutput } from '../../lib/inert.js';

const SPECS: OptionSpec[] = [
  {
    name: 'json',
    type: 'boolean',
    help: 'print JSON: one array of invocations for one file; for several files one array per file, one per line',
    default: false,
    cliOnly: true,
  },
];

// The fields worth a glance in the table; the JSON carries all of them.
const TABLE_FIELDS: [string, keyof Invocation['fields']][] = [
  ['events/s', 'events_per_sec'],
  ['time s', 'total_time_s'],
  ['events', 'total_events'],
  ['lat avg ms', 'latency_avg_ms'],
  ['lat pct ms', 'latency_pct_ms'],
  ['read MiB/s', 'read_mib_per_sec'],
  ['written MiB/s', 'written_mib_per_sec'],
  ['MiB/s', 'mib_per_sec'],
];

export function formatTable(file: string, invocations: Invocation[]): string {
  if (invocations.length === 0) return `${file}: no sysbench invocation found\n`;
  const header = ['#', 'version', 'test', 'phase', 'threads', 'ok', ...TABLE_FIELDS.map(([h]) => h)];
  const rows = invocations.map((inv, i) => [
    String(i + 1),
    inv.sysbench_version ?? '?',
    inv.test ?? '?',
    inv.phase,
    inv.threads === null ? '?' : String(inv.threads),
    inv.ok ? 'ok' : 'FAILED',
    ...TABLE_FIELDS.map(([, f]) => (inv.fields[f] === undefined ? '-' : String(inv.fields[f]))),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const out = [`${file}:`, line(header), ...rows.map(line)];
  invocations.forEach((inv, i) => {
    for (const e of inv.errors) out.push(`  #${i + 1} error: ${e}`);
    for (const w of inv.warnings) out.push(`  #${i + 1} warning: ${w}`);
    if (!inv.ok && inv.errors.length === 0) out.push(`  #${i + 1}: ${inv.phase === 'run' ? 'printed no statistics' : `${inv.phase} did not complete`}`);
  });
  return out.join('\n') + '\n';
}

function readInput(file: string): string {
  return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
}

export const COMMAND: CommandSpec = {
  name: 'parse',
  usage: 'usage: virt-overhead parse FILE... [--json]   (FILE "-" reads standard input)',
  options: SPECS,
  positionals: true,
  exitCodes: [
    { code: 0, meaning: 'every invocation in every file completed with statistics' },
    { code: 1, meaning: 'an invocation failed or printed no statistics (a file with none counts as failed)' },
    { ...USAGE_EXIT, meaning: 'a file cannot be read, or no file was named' },
  ],
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('name at least one file of sysbench output (or - for standard input)');
  const json = values.json === true;
  let unreadable = false;
  let failed = false;
  for (const file of positionals) {
    let text: string;
    try {
      text = readInput(file);
    } catch (err) {
      process.stderr.write(`virt-overhead parse: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      unreadable = true;
      continue;
    }
    const invocations = parseSysbenchOutput(text);
    if (invocations.length === 0 || invocations.some((i) => !i.ok)) failed = true;
    // sysbench's output is untrusted text: what is printed of it is made inert (lib/inert.ts).
    if (json) process.stdout.write((positionals.length === 1 ? inertJson(invocations, 2) : inertJson(invocations)) + '\n');
    else process.stdout.write(inertOutput(formatTable(file, invocations)));
  }
  return unreadable ? 2 : failed ? 1 : 0;
}
