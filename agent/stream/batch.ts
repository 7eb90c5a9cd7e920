// Packs single-record messages into RecordBatch messages (protocol 2): one gRPC message per
// up to BATCH_RECORDS records or BATCH_BYTES bytes, whichever comes first, order kept.
import type { AgentMessage, IntervalSample, Result } from '../../proto/index.js';

export const BATCH_RECORDS = 128;
/** Well under the collector's 1 MiB message limit. */
export const BATCH_BYTES = 512 * 1024;

export interface Sized {
  message: AgentMessage; // { result } or { sample }
  bytes: number;
}

/** Where the batches split: consecutive runs of at most BATCH_RECORDS records and BATCH_BYTES bytes (`bytesOf`: a record's encoded size). */
export function splitBatches<T>(records: readonly T[], bytesOf: (r: T) => number): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = bytesOf(r);
    if (batch.length >= BATCH_RECORDS || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length) out.push(batch);
  return out;
}

export function packBatches(records: readonly Sized[]): AgentMessage[] {
  return splitBatches(records, (r) => r.bytes).map((batch) => {
    const results: Result[] = [];
    const samples: IntervalSample[] = [];
    for (const r of batch) {
      if (r.message.result) results.push(r.message.result);
      else if (r.message.sample) samples.push(r.message.sample);
      else throw new Error('packBatches: only result and sample messages can be batched');
    }
    return { batch: { results, samples } };
  });
}
