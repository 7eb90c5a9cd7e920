// The simulated agents' pre-encoded batches (bench/sim-agent.ts batchBytes) against protobufjs's
// own encoding of the same RecordBatch: the collector must decode the very same message, so the
// ingest bench measures the collector on what a real agent sends. Pure (no network).
import { describe, expect, it } from 'vitest';
import { loadContract, type AgentMessage, type AgentMessage__Output } from '../proto/index.js';
import { packBatches, splitBatches } from '../agent/stream/batch.js';
import { batchBytes, encodeRecords } from '../bench/sim-agent.js';
import { simMessage } from '../bench/messages.js';

const stream = loadContract().virtoverhead.v1.Collector.service.Stream;
const serialize = stream.requestSerialize as (m: AgentMessage) => Buffer;
const deserialize = stream.requestDeserialize as (b: Buffer) => AgentMessage__Output;

describe('pre-encoded RecordBatch messages of the simulated agents', () => {
  const messages = Array.from({ length: 300 }, (_, k) => simMessage('sim-0007', k, 1_767_225_600_000_000_000n));
  const records = encodeRecords(messages);

  it('decode to the message protobufjs encodes from the same records, batch by batch', () => {
    const ours = splitBatches(records, (r) => r.bytes.length).map((b) => deserialize(batchBytes(b)));
    const theirs = packBatches(messages.map((message) => ({ message, bytes: serialize(message).length }))).map((m) => deserialize(serialize(m)));
    expect(ours).toHaveLength(3); // 128 + 128 + 44
    expect(ours).toEqual(theirs);
    expect(ours[0]!.batch!.results.length + ours[0]!.batch!.samples.length).toBe(128);
  });

  it('are byte for byte protobufjs encoding where records are of one kind', () => {
    const samples = records.filter((r) => r.field === 2).slice(0, 50);
    const alone = messages.filter((m) => m.sample).slice(0, 50);
    expect(batchBytes(samples).equals(serialize({ batch: { results: [], samples: alone.map((m) => m.sample!) } }))).toBe(true);
  });

  it('a record alone is its own AgentMessage (protocol 1)', () => {
    expect(deserialize(records[10]!.bytes)).toEqual(deserialize(serialize(messages[10]!)));
    expect(records[10]!.field).toBe(1); // every 11th message is a result
  });
});
