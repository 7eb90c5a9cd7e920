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

export function packBatches(records: readonly Sized[]): AgentMessage[] {
  const out: AgentMessage[] = [];
  let results: Result[] = [];
  let samples: IntervalSample[] = [];
  let bytes = 0;
  const flush = () => {
    if (results.length + samples.length === 0) return;
    out.push({ batch: { results, samples } });
    results = [];
    samples = [];
    bytes = 0;
  };
  for (const r of records) {
    if (results.length + samples.length >= BATCH_RECORDS || bytes + r.bytes > BATCH_BYTES) flush();
    if (r.message.result) results.push(r.message.result);
    else if (r.message.sample) samples.push(r.message.sample);
    else throw new Error('packBatches: only result and sample messages can be batched');
    bytes += r.bytes;
  }
  flush();
  return out;
}
