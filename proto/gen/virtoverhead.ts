import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _virtoverhead_v1_Ack, Ack__Output as _virtoverhead_v1_Ack__Output } from './virtoverhead/v1/Ack';
import type { AgentMessage as _virtoverhead_v1_AgentMessage, AgentMessage__Output as _virtoverhead_v1_AgentMessage__Output } from './virtoverhead/v1/AgentMessage';
import type { AgentStatus as _virtoverhead_v1_AgentStatus, AgentStatus__Output as _virtoverhead_v1_AgentStatus__Output } from './virtoverhead/v1/AgentStatus';
import type { CollectorClient as _virtoverhead_v1_CollectorClient, CollectorDefinition as _virtoverhead_v1_CollectorDefinition } from './virtoverhead/v1/Collector';
import type { CollectorMessage as _virtoverhead_v1_CollectorMessage, CollectorMessage__Output as _virtoverhead_v1_CollectorMessage__Output } from './virtoverhead/v1/CollectorMessage';
import type { Environment as _virtoverhead_v1_Environment, Environment__Output as _virtoverhead_v1_Environment__Output } from './virtoverhead/v1/Environment';
import type { Hello as _virtoverhead_v1_Hello, Hello__Output as _virtoverhead_v1_Hello__Output } from './virtoverhead/v1/Hello';
import type { HostFacts as _virtoverhead_v1_HostFacts, HostFacts__Output as _virtoverhead_v1_HostFacts__Output } from './virtoverhead/v1/HostFacts';
import type { IntervalSample as _virtoverhead_v1_IntervalSample, IntervalSample__Output as _virtoverhead_v1_IntervalSample__Output } from './virtoverhead/v1/IntervalSample';
import type { RecordBatch as _virtoverhead_v1_RecordBatch, RecordBatch__Output as _virtoverhead_v1_RecordBatch__Output } from './virtoverhead/v1/RecordBatch';
import type { Reject as _virtoverhead_v1_Reject, Reject__Output as _virtoverhead_v1_Reject__Output } from './virtoverhead/v1/Reject';
import type { Result as _virtoverhead_v1_Result, Result__Output as _virtoverhead_v1_Result__Output } from './virtoverhead/v1/Result';
import type { Welcome as _virtoverhead_v1_Welcome, Welcome__Output as _virtoverhead_v1_Welcome__Output } from './virtoverhead/v1/Welcome';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  virtoverhead: {
    v1: {
      Ack: MessageTypeDefinition<_virtoverhead_v1_Ack, _virtoverhead_v1_Ack__Output>
      AgentMessage: MessageTypeDefinition<_virtoverhead_v1_AgentMessage, _virtoverhead_v1_AgentMessage__Output>
      AgentStatus: MessageTypeDefinition<_virtoverhead_v1_AgentStatus, _virtoverhead_v1_AgentStatus__Output>
      Collector: SubtypeConstructor<typeof grpc.Client, _virtoverhead_v1_CollectorClient> & { service: _virtoverhead_v1_CollectorDefinition }
      CollectorMessage: MessageTypeDefinition<_virtoverhead_v1_CollectorMessage, _virtoverhead_v1_CollectorMessage__Output>
      Environment: MessageTypeDefinition<_virtoverhead_v1_Environment, _virtoverhead_v1_Environment__Output>
      Hello: MessageTypeDefinition<_virtoverhead_v1_Hello, _virtoverhead_v1_Hello__Output>
      HostFacts: MessageTypeDefinition<_virtoverhead_v1_HostFacts, _virtoverhead_v1_HostFacts__Output>
      IntervalSample: MessageTypeDefinition<_virtoverhead_v1_IntervalSample, _virtoverhead_v1_IntervalSample__Output>
      RecordBatch: MessageTypeDefinition<_virtoverhead_v1_RecordBatch, _virtoverhead_v1_RecordBatch__Output>
      Reject: MessageTypeDefinition<_virtoverhead_v1_Reject, _virtoverhead_v1_Reject__Output>
      Result: MessageTypeDefinition<_virtoverhead_v1_Result, _virtoverhead_v1_Result__Output>
      Welcome: MessageTypeDefinition<_virtoverhead_v1_Welcome, _virtoverhead_v1_Welcome__Output>
    }
  }
}

