// The after-write pipeline calls its listeners in their order: records (facts) in order with the
// batches, owed work (overhead, …) after them, retried on failure, and only owed work is marked.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { IPoint } from 'influx';
import type { Hello__Output } from '../proto/index.js';
import type { IdentityTags } from '../schema/influx.js';
import type { WriteListener } from './listener.js';
import { Pipeline } from './pipeline.js';

const log = pino({ level: 'silent' });
const point = (measurement: string, ts: number): IPoint => ({ measurement, tags: { agent: 'a' }, fields: { run_id: 'r' }, timestamp: String(ts) });

function recorder(seen: string[], name: string, owed: boolean, fail = 0): WriteListener {
  let failures = fail;
  return {
    name,
    owed,
    async onResultsWritten(results) {
      seen.push(`${name}:${results.map((r) => r.timestamp_ns).join(',')}`);
      if (failures-- > 0) throw new Error('InfluxDB refused');
    },
    ...(owed ? {} : { onHello: async (h: Hello__Output) => void seen.push(`${name}:hello ${h.agent_id}`) }),
  };
}

describe('Pipeline', () => {
  it('records first, in order with the batches; then the owed listeners in their order, on the batches queued meanwhile together; only sysbench results are handed over', async () => {
    const seen: string[] = [];
    const p = new Pipeline([recorder(seen, 'facts', false), recorder(seen, 'overhead', true), recorder(seen, 'changes', true)], log);
    expect(p.owes).toBe(true);
    let settled = 0;
    p.written([point('sysbench', 1), point('sysbench_interval', 2), point('sysbench', 3)], { line: '', settle: () => settled++ });
    p.hello({ agent_id: 'a' } as Hello__Output, {} as IdentityTags);
    p.written([point('sysbench', 4)]);
    await p.drained();
    expect(await p.stop(10_000)).toEqual([]);
    // Both batches were queued before the work ran: one computation of both (owed.ts merges them).
    expect(seen).toEqual(['facts:1,3', 'facts:hello a', 'facts:4', 'overhead:1,3,4', 'changes:1,3,4']);
    expect(settled).toBe(1);
  });

  it('records alone owe nothing; a failing record is logged and not retried', async () => {
    const seen: string[] = [];
    const p = new Pipeline([recorder(seen, 'facts', false, 1)], log);
    expect(p.owes).toBe(false);
    p.written([point('sysbench', 1)]);
    p.written([point('sysbench', 2)]);
    await p.drained();
    expect(seen).toEqual(['facts:1', 'facts:2']);
  });
});
