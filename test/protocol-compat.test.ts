// Old agents keep working with newer collectors: a protocol-1 agent sends one record per
// message; a protocol-2 agent packs records into RecordBatch messages. Both are acknowledged
// per id, a bad record inside a batch is rejected alone, and nothing is stored twice.
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type IntervalSample, type Result } from '../proto/index.js';
import { BATCH_RECORDS, packBatches } from '../agent/stream/batch.js';
import { query } from './support/procs.js';
import { hello, openStream, rawCollectorFixture, validResult } from './support/raw-client.js';
import { measurementRef } from '../schema/retention.js';

const fx = rawCollectorFixture('vo-compat-');

const count = async (agent: string, measurement: 'sysbench' | 'sysbench_interval') => {
  const rows = (await query(fx.stack.influxUrl, `SELECT count(trial) FROM ${measurementRef(measurement)} WHERE agent = '${agent}'`)) as { count?: number }[];
  return rows[0]?.count ?? 0;
};

function sample(id: string, i: number): IntervalSample {
  return {
    id,
    timestamp_ns: String(BigInt(Date.now()) * 1_000_000n + BigInt(i)),
    run_id: 'r1',
    test: 'cpu',
    profile: 'quick',
    trial: 1,
    fields: { elapsed_s: i + 1, events_per_sec: 1000 + i },
    sysbench_version: '1.0.20',
  };
}

describe('protocol compatibility', () => {
  it("a protocol-1 agent: one record per message, welcomed with this build's version", async () => {
    const s = openStream(fx.client);
    s.call.write({ hello: hello({ agent_id: 'proto1', protocol_version: 1 }) });
    const [welcome] = await s.waitFor((m) => Boolean(m.welcome));
    expect(welcome!.welcome!.protocol_version).toBe(PROTOCOL_VERSION);
    for (let i = 0; i < 5; i++) s.call.write(validResult(`p1-${i}`));
    const acked = new Set<string>();
    await s.waitFor((m) => (m.ack?.ids.forEach((id) => acked.add(id)), acked.size >= 5));
    expect([...acked].sort()).toEqual(['p1-0', 'p1-1', 'p1-2', 'p1-3', 'p1-4']);
    s.close();
    await s.closed;
    expect(await count('proto1', 'sysbench')).toBe(5);
  });

  it('a protocol-2 batch: every record acked by id, a bad one rejected alone', async () => {
    const s = openStream(fx.client);
    s.call.write({ hello: hello({ agent_id: 'proto2', protocol_version: 2 }) });
    await s.waitFor((m) => Boolean(m.welcome));
    const records = [
      ...Array.from({ length: 300 }, (_, i) => ({ message: { sample: sample(`s-${i}`, i) }, bytes: 200 })),
      { message: validResult('good-result'), bytes: 300 },
      { message: validResult('bad-result', { test: 'muxex' }), bytes: 300 },
    ];
    const batches = packBatches(records);
    expect(batches).toHaveLength(Math.ceil(records.length / BATCH_RECORDS));
    for (const b of batches) s.call.write(b);
    const acked = new Set<string>();
    const rejected = new Map<string, string>();
    await s.waitFor((m) => {
      m.ack?.ids.forEach((id) => acked.add(id));
      if (m.reject) rejected.set(m.reject.id, m.reject.reason);
      return acked.size + rejected.size >= records.length;
    });
    expect(acked.size).toBe(301);
    expect([...rejected.keys()]).toEqual(['bad-result']);
    expect(rejected.get('bad-result')).toMatch(/result\.test 'muxex' is not one of cpu, threads, fileio, memory, mutex/);
    // Resending the same batches (a lost ack, a replay) overwrites: still 300 + 1 points.
    for (const b of batches) s.call.write(b);
    await new Promise((r) => setTimeout(r, 500));
    s.close();
    await s.closed;
    expect(await count('proto2', 'sysbench_interval')).toBe(300);
    expect(await count('proto2', 'sysbench')).toBe(1);
  });

  it('a batch over the record limit is refused record by record, nothing written', async () => {
    const s = openStream(fx.client);
    s.call.write({ hello: hello({ agent_id: 'proto2-big', protocol_version: 2 }) });
    await s.waitFor((m) => Boolean(m.welcome));
    const samples = Array.from({ length: 1001 }, (_, i) => sample(`big-${i}`, i));
    s.call.write({ batch: { results: [] as Result[], samples } });
    const rejects = await s.waitFor((m) => Boolean(m.reject), 1001);
    expect(rejects[0]!.reject!.reason).toMatch(/at most 1000 records/);
    s.close();
    await s.closed;
    expect(await count('proto2-big', 'sysbench_interval')).toBe(0);
  });
});
