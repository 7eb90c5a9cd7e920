// The agents of a report's period whose clock was wrong at a connection (`agent_clock`, written
// by the collector: health/clock.ts). Their results are stored flagged and compared with
// nothing, so without this they would just be missing from the table.
import type { InfluxDB } from 'influx';
import { eq } from '../../schema/influxql.js';

export interface WrongClock {
  group: string;
  agent: string;
  /** The agent's clock at its last connection in the period: seconds ahead of the collector's (negative: behind). */
  offsetS: number;
  at: string;
}

export async function wrongClocks(influx: InfluxDB, database: string, sinceNs: bigint, group?: string): Promise<WrongClock[]> {
  const where = [`time >= ${sinceNs}`, ...(group !== undefined ? [eq('group', group)] : [])].join(' AND ');
  const res = (await influx.query(`SELECT last("offset_s") AS "offset_s" FROM "agent_clock" WHERE ${where} GROUP BY "group", "agent"`, {
    database,
  })) as unknown as { groups(): Array<{ tags: Record<string, string>; rows: Array<{ time: Date; offset_s: number }> }> };
  return res
    .groups()
    .map((g) => ({ group: g.tags.group ?? '', agent: g.tags.agent ?? '', offsetS: g.rows[0]!.offset_s, at: new Date(g.rows[0]!.time).toISOString() }))
    .sort((a, b) => (a.group + a.agent < b.group + b.agent ? -1 : 1));
}

function span(s: number): string {
  const a = Math.abs(s);
  return a >= 86_400 ? `${(a / 86_400).toFixed(1)} days` : a >= 3600 ? `${(a / 3600).toFixed(1)} h` : `${a} s`;
}

/** The lines `report` prints after its table (empty when every clock was right). */
export function formatWrongClocks(clocks: readonly WrongClock[]): string {
  if (clocks.length === 0) return '';
  const lines = ['', 'Agents whose clock was wrong (their results are stored flagged with clock_skew_s, at their own times, and compared with nothing):'];
  for (const c of clocks)
    lines.push(`  ${c.group} · ${c.agent}: ${span(c.offsetS)} ${c.offsetS > 0 ? 'ahead of' : 'behind'} the collector's clock (last connection ${c.at})`);
  return lines.join('\n') + '\n';
}
