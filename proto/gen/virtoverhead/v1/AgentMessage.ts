// Original file: proto/virtoverhead.proto

import type { Hello as _virtoverhead_v1_Hello, Hello__Output as _virtoverhead_v1_Hello__Output } from '../../virtoverhead/v1/Hello';
import type { Result as _virtoverhead_v1_Result, Result__Output as _virtoverhead_v1_Result__Output } from '../../virtoverhead/v1/Result';
import type { IntervalSample as _virtoverhead_v1_IntervalSample, IntervalSample__Output as _virtoverhead_v1_IntervalSample__Output } from '../../virtoverhead/v1/IntervalSample';
import type { AgentStatus as _virtoverhead_v1_AgentStatus, AgentStatus__Output as _virtoverhead_v1_AgentStatus__Output } from '../../virtoverhead/v1/AgentStatus';
import type { RecordBatch as _virtoverhead_v1_RecordBatch, RecordBatch__Output as _virtoverhead_v1_RecordBatch__Output } from '../../virtoverhead/v1/RecordBatch';

export interface AgentMessage {
  'hello'?: (_virtoverhead_v1_Hello | null);
  'result'?: (_virtoverhead_v1_Result | null);
  'sample'?: (_virtoverhead_v1_IntervalSample | null);
  'status'?: (_virtoverhead_v1_AgentStatus | null);
  /**
   * protocol 2: many records in one message
   */
  'batch'?: (_virtoverhead_v1_RecordBatch | null);
  'body'?: "hello"|"result"|"sample"|"status"|"batch";
}

export interface AgentMessage__Output {
  'hello'?: (_virtoverhead_v1_Hello__Output | null);
  'result'?: (_virtoverhead_v1_Result__Output | null);
  'sample'?: (_virtoverhead_v1_IntervalSample__Output | null);
  'status'?: (_virtoverhead_v1_AgentStatus__Output | null);
  /**
   * protocol 2: many records in one message
   */
  'batch'?: (_virtoverhead_v1_RecordBatch__Output | null);
  'body'?: "hello"|"result"|"sample"|"status"|"batch";
}
