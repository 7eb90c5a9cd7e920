// Original file: proto/virtoverhead.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _virtoverhead_v1_AgentMessage, AgentMessage__Output as _virtoverhead_v1_AgentMessage__Output } from '../../virtoverhead/v1/AgentMessage';
import type { CollectorMessage as _virtoverhead_v1_CollectorMessage, CollectorMessage__Output as _virtoverhead_v1_CollectorMessage__Output } from '../../virtoverhead/v1/CollectorMessage';

export interface CollectorClient extends grpc.Client {
  /**
   * One bidirectional stream per agent. The agent's first message is a Hello;
   * after that it sends results, interval samples and status heartbeats, each with a
   * unique id. The collector answers every id with an Ack only after InfluxDB accepted
   * the write, or with a Reject when the message can never be written.
   */
  Stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_virtoverhead_v1_AgentMessage, _virtoverhead_v1_CollectorMessage__Output>;
  Stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_virtoverhead_v1_AgentMessage, _virtoverhead_v1_CollectorMessage__Output>;
  /**
   * One bidirectional stream per agent. The agent's first message is a Hello;
   * after that it sends results, interval samples and status heartbeats, each with a
   * unique id. The collector answers every id with an Ack only after InfluxDB accepted
   * the write, or with a Reject when the message can never be written.
   */
  stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_virtoverhead_v1_AgentMessage, _virtoverhead_v1_CollectorMessage__Output>;
  stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_virtoverhead_v1_AgentMessage, _virtoverhead_v1_CollectorMessage__Output>;
  
}

export interface CollectorHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One bidirectional stream per agent. The agent's first message is a Hello;
   * after that it sends results, interval samples and status heartbeats, each with a
   * unique id. The collector answers every id with an Ack only after InfluxDB accepted
   * the write, or with a Reject when the message can never be written.
   */
  Stream: grpc.handleBidiStreamingCall<_virtoverhead_v1_AgentMessage__Output, _virtoverhead_v1_CollectorMessage>;
  
}

export interface CollectorDefinition extends grpc.ServiceDefinition {
  Stream: MethodDefinition<_virtoverhead_v1_AgentMessage, _virtoverhead_v1_CollectorMessage, _virtoverhead_v1_AgentMessage__Output, _virtoverhead_v1_CollectorMessage__Output>
}
