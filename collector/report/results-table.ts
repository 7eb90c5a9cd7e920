// The quickstart's table: the latest result of each test and agent, read back from InfluxDB
// (so it shows what was stored, not what the agent thought it sent).
import type { InfluxDB } from 'influx';

interface Column {
  title: string;
  field: string;
  digits: number;
}

const COLUMNS: Column[] = [
  { title: 'events/s', field: 'events_per_sec', digits: 2 },
  { title: 'events', field: 'total_events', digits: 0 },
  { title: 'time s', field: 'total_time_s', digits: 4 },
  { title: 'lat avg ms', field: 'latency_avg_ms', digits: 2 },
  { title: 'lat p95 ms', field: 'latency_pct_ms', digits: 2 },
  { title: 'MiB/s', field: 'mib_per_sec', digits: 2 },
  { title: 'read MiB/s', field: 'read_mib_per_sec', digits: 2 },
  { title: 'write MiB/s', field: 'written_mib_per_sec', digits: 2 },
];

export async function latestResultsTable(influx: InfluxDB, runIds: string[]): Promise<string> {
  if (runIds.length === 0) return '(no runs)';
  const where = runIds.map((id) => `run_id = '${id.replace(/['\\]/g, '\\$&')}'`).join(' OR ');
  const rows = (await influx.query(`SELECT * FROM sysbench WHERE ${where}`)) as unknown as Record<string, unknown>[];
  const header = ['agent', 'virt', 'test', 'trial', 'threads', ...COLUMNS.map((c) => c.title)];
  const body = rows.map((r) => [
    String(r.agent),
    String(r.virt),
    String(r.test),
    String(r.trial),
    String(r.threads),
    ...COLUMNS.map((c) => (typeof r[c.field] === 'number' ? (r[c.field] as number).toFixed(c.digits) : '')),
  ]);
  return formatTable(header, body);
}

/** Plain text table: left-aligned text columns, right-aligned numbers. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === '' || /^-?[\d.]+%?$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
