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
    ...(owed ? {} : { onHellos: async (hs) => void seen.push(`${name}:hello ${hs.map((h) => h.hello.agent_id).join(',')}`) }),
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

  // Issue 26: a fleet's tick connects hundreds of agents at once; each hello was a facts write of its
  // own, and each batch a facts task of its own (a read and a write at N = 1 000 agents).
  it('hellos in a row, and batches in a row, while their task waits, are handed over together; each keeps its place', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const blocker: WriteListener = { name: 'blocker', owed: false, onResultsWritten: () => gate };
    const p = new Pipeline([blocker, recorder(seen, 'facts', false), recorder(seen, 'clock', false)], log);
    const h = (id: string) => p.hello({ agent_id: id } as Hello__Output, {} as IdentityTags);
    p.written([point('sysbench', 1)]); // running: the blocker waits
    h('a');
    h('b');
    h('c');
    p.written([point('sysbench', 2), point('sysbench_interval', 9)]);
    p.written([point('sysbench', 3)]);
    h('d');
    p.written([point('sysbench', 4)]);
    h('e');
    release();
    await p.drained();
    h('f'); // the queue was idle: its task starts at once, so the next one queues anew
    h('g');
    await p.drained();
    expect(seen).toEqual([
      'facts:1',
      'clock:1',
      'facts:hello a,b,c',
      'clock:hello a,b,c',
      'facts:2,3',
      'clock:2,3',
      'facts:hello d',
      'clock:hello d',
      'facts:4',
      'clock:4',
      'facts:hello e',
      'clock:hello e',
      'facts:hello f',
      'clock:hello f',
      'facts:hello g',
      'clock:hello g',
    ]);
    expect({ calls: p.costs.get('facts')!.calls, results: p.costs.get('facts')!.results }).toEqual({ calls: 8, results: 4 });
    await p.stop(1000);
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

  it('sums each listener’s time and results, a failed and retried batch counted each try', async () => {
    const slow = (name: string, owed: boolean, ms: number, fail = 0): WriteListener => {
      let failures = fail;
      return {
        name,
        owed,
        async onResultsWritten() {
          await new Promise((r) => setTimeout(r, ms));
          if (failures-- > 0) throw new Error('InfluxDB refused');
        },
      };
    };
    const p = new Pipeline([slow('facts', false, 30), slow('overhead', true, 40, 1)], log);
    p.written([point('sysbench', 1), point('sysbench', 2), point('sysbench_interval', 3)]);
    // The retry waits 5 s (owed.ts): give it the time, then count.
    await p.drained();
    const facts = p.costs.get('facts')!;
    const overhead = p.costs.get('overhead')!;
    expect({ results: facts.results, calls: facts.calls }).toEqual({ results: 2, calls: 1 });
    expect({ results: overhead.results, calls: overhead.calls }).toEqual({ results: 4, calls: 2 });
    // Lower bounds only: a timer never fires before its time (less 1 ms of rounding); a busy machine only adds.
    expect(facts.seconds).toBeGreaterThanOrEqual(0.029);
    expect(overhead.seconds).toBeGreaterThanOrEqual(2 * 0.039);
    await p.stop(1000);
  }, 30_000);
});
