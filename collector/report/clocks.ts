// The agents of a report's period whose clock was wrong at a connection (`agent_clock`, written
// by the collector: health/clock.ts). Their results are stored flagged and compared with
// nothing, so without this they would just be missing from the table.
import type { Store } from '../store/store.js';

export interface WrongClock {
  group: string;
  agent: string;
  /** The agent's clock at its last connection in the period: seconds ahead of the collector's (negative: behind). */
  offsetS: number;
  at: string;
}

/** Each agent's last wrong clock since `sinceNs` (of one group when given), by group and agent. */
export async function wrongClocks(store: Store, sinceNs: bigint, group?: string): Promise<WrongClock[]> {
  const rows = await store.select({
    measurement: 'agent_clock',
    where: { ...(group !== undefined ? { tags: { group } } : {}), from: sinceNs },
    fields: ['offset_s'],
    newest: 1,
    groupBy: ['group', 'agent'],
  });
  return rows
    .map((r) => ({
      group: r.tags.group ?? '',
      agent: r.tags.agent ?? '',
      offsetS: Number(r.fields.offset_s),
      at: new Date(Number(r.timeNs / 1_000_000n)).toISOString(),
    }))
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
