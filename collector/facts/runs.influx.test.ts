// The runs' agent_info points recorded for a whole batch at once (one read, one write) equal those
// recorded one run at a time in time order, each against the newest point before it (real influxd):
// a hello before the batch, a sysbench upgrade in the middle of it, three agents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../influx/influxd.js';
import type { IdentityTags } from '../../schema/influx.js';
import { agentInfoPoint } from './index.js';
import { recordRuns, type RunStart } from './runs.js';

const T0 = 1_767_225_600_000_000_000n;
const HOUR = 3_600_000_000_000n;

let influxd: InfluxdHandle;
let dir: string;
const client = (database: string) => new InfluxDB({ host: '127.0.0.1', port: influxd.port, database });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'facts-runs-'));
  influxd = await startInfluxd({ dir });
});

afterAll(async () => {
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tags = (agent: string): IdentityTags => ({
  agent,
  host: agent,
  group: 'g',
  role: 'guest',
  virt: 'kvm',
  container: 'none',
  kvm: 'usable',
  variant: 'default',
});

const runs: RunStart[] = ['a', 'b', 'c'].flatMap((agent) =>
  [0, 1, 2, 3].map((i) => ({
    tags: tags(agent),
    runId: `${agent}-${i}`,
    sysbenchVersion: agent === 'b' && i >= 2 ? '1.0.21' : '1.0.20',
    timeNs: T0 + BigInt(i) * 6n * HOUR,
  })),
);

async function stored(database: string): Promise<Array<Record<string, unknown>>> {
  const rows = (await client(database).query(`SELECT * FROM "agent_info" GROUP BY *`)) as unknown as Array<
    Record<string, unknown> & { time: { getNanoTime(): string } }
  >;
  const key = (r: Record<string, unknown>) => `${String(r.agent)}${String(r.time)}`;
  return rows.map((r): Record<string, unknown> => ({ ...r, time: r.time.getNanoTime() })).sort((x, y) => (key(x) < key(y) ? -1 : 1));
}

describe('recordRuns (real influxd)', () => {
  it('a batch of runs gets the points one run at a time would, the upgrade an event on its run', async () => {
    for (const db of ['batch', 'single']) {
      const influx = client(db);
      await influx.createDatabase(db);
      // Each agent said hello before its runs (kernel and sysbench known).
      await influx.writePoints(
        ['a', 'b', 'c'].map((a) => agentInfoPoint(tags(a), { kernel: '6.1.0', sysbench_version: '1.0.20' }, null, T0 - HOUR)),
        { database: db, precision: 'n' },
      );
    }
    await recordRuns(client('batch'), 'batch', [...runs].reverse());
    for (const r of [...runs].sort((x, y) => (x.timeNs < y.timeNs ? -1 : 1))) await recordRuns(client('single'), 'single', [r]);
    const got = await stored('batch');
    expect(got).toEqual(await stored('single'));
    expect(got).toHaveLength(3 + runs.length);
    const b = got.filter((r) => r.agent === 'b');
    expect(b.map((r) => [r.run_id ?? null, r.sysbench_version, r.kernel, r.changed ?? null])).toEqual([
      [null, '1.0.20', '6.1.0', null],
      ['b-0', '1.0.20', '6.1.0', null],
      ['b-1', '1.0.20', '6.1.0', null],
      ['b-2', '1.0.21', '6.1.0', 'sysbench_version'],
      ['b-3', '1.0.21', '6.1.0', null],
    ]);
  });
});
