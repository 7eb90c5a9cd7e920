// The tests' reference reader of `sysbench` rows: `SELECT *` through the influx client, as the
// calculators read before they were on the store (collector/store/), typed by the same
// sysbenchRows(). Tests compare the store's narrower reads with it (report-reads.influx.test.ts,
// overhead.batch.influx.test.ts): the old read, kept as the slow path.
import type { InfluxDB } from 'influx';
import { SYSBENCH_TAGS, sysbenchRows, type SysbenchRow } from '../../collector/overhead/rows.js';
import type { FieldValue } from '../../collector/store/store.js';

type RawRow = Record<string, unknown> & { time?: { getNanoTime?: () => string; getTime(): number } };

const TAGS: ReadonlySet<string> = new Set(SYSBENCH_TAGS);

export async function querySysbench(influx: InfluxDB, database: string, where: string): Promise<SysbenchRow[]> {
  const rows = (await influx.query(`SELECT * FROM "sysbench" WHERE ${where}`, { database })) as unknown as RawRow[];
  return sysbenchRows(
    rows.map((r) => {
      const t = r.time;
      if (!t) throw new Error('InfluxDB row without a time column');
      const tags: Record<string, string> = {};
      const fields: Record<string, FieldValue> = {};
      for (const [k, v] of Object.entries(r)) {
        if (k === 'time' || v === null || v === undefined) continue;
        if (TAGS.has(k)) {
          if (typeof v === 'string') tags[k] = v;
        } else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') fields[k] = v;
      }
      return { timeNs: typeof t.getNanoTime === 'function' ? BigInt(t.getNanoTime()) : BigInt(t.getTime()) * 1_000_000n, tags, fields };
    }),
  );
}
