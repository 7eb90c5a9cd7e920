// Original file: proto/virtoverhead.proto

import type { Welcome as _virtoverhead_v1_Welcome, Welcome__Output as _virtoverhead_v1_Welcome__Output } from '../../virtoverhead/v1/Welcome';
import type { Ack as _virtoverhead_v1_Ack, Ack__Output as _virtoverhead_v1_Ack__Output } from '../../virtoverhead/v1/Ack';
import type { Reject as _virtoverhead_v1_Reject, Reject__Output as _virtoverhead_v1_Reject__Output } from '../../virtoverhead/v1/Reject';

export interface CollectorMessage {
  'welcome'?: (_virtoverhead_v1_Welcome | null);
  'ack'?: (_virtoverhead_v1_Ack | null);
  'reject'?: (_virtoverhead_v1_Reject | null);
  'body'?: "welcome"|"ack"|"reject";
}

export interface CollectorMessage__Output {
  'welcome'?: (_virtoverhead_v1_Welcome__Output | null);
  'ack'?: (_virtoverhead_v1_Ack__Output | null);
  'reject'?: (_virtoverhead_v1_Reject__Output | null);
  'body'?: "welcome"|"ack"|"reject";
}
