// Original file: proto/virtoverhead.proto

import type { Result as _virtoverhead_v1_Result, Result__Output as _virtoverhead_v1_Result__Output } from '../../virtoverhead/v1/Result';
import type { IntervalSample as _virtoverhead_v1_IntervalSample, IntervalSample__Output as _virtoverhead_v1_IntervalSample__Output } from '../../virtoverhead/v1/IntervalSample';

/**
 * Several results and samples in one message (protocol version 2 and later): a spool replay
 * or a busy agent pays gRPC's per-message cost once per batch instead of once per record.
 * Each record is still validated, acknowledged or rejected on its own, by its id. An agent
 * sends batches only to a collector whose Welcome says protocol_version >= 2.
 */
export interface RecordBatch {
  'results'?: (_virtoverhead_v1_Result)[];
  'samples'?: (_virtoverhead_v1_IntervalSample)[];
}

/**
 * Several results and samples in one message (protocol version 2 and later): a spool replay
 * or a busy agent pays gRPC's per-message cost once per batch instead of once per record.
 * Each record is still validated, acknowledged or rejected on its own, by its id. An agent
 * sends batches only to a collector whose Welcome says protocol_version >= 2.
 */
export interface RecordBatch__Output {
  'results': (_virtoverhead_v1_Result__Output)[];
  'samples': (_virtoverhead_v1_IntervalSample__Output)[];
}
