// Loads the wire contract from proto/virtoverhead.proto at run time (grpc-node's way)
// and re-exports the TypeScript types generated from it into proto/gen/ (`npm run proto:gen`).
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './gen/virtoverhead.js';
import { packageRoot } from '../lib/root.js';

export type { AgentMessage, AgentMessage__Output } from './gen/virtoverhead/v1/AgentMessage.js';
export type { CollectorMessage, CollectorMessage__Output } from './gen/virtoverhead/v1/CollectorMessage.js';
export type { Hello, Hello__Output } from './gen/virtoverhead/v1/Hello.js';
export type { HostFacts, HostFacts__Output } from './gen/virtoverhead/v1/HostFacts.js';
export type { Environment, Environment__Output } from './gen/virtoverhead/v1/Environment.js';
export type { Result, Result__Output } from './gen/virtoverhead/v1/Result.js';
export type { IntervalSample, IntervalSample__Output } from './gen/virtoverhead/v1/IntervalSample.js';
export type { AgentStatus, AgentStatus__Output } from './gen/virtoverhead/v1/AgentStatus.js';
export type { Ack, Ack__Output } from './gen/virtoverhead/v1/Ack.js';
export type { Reject, Reject__Output } from './gen/virtoverhead/v1/Reject.js';
export type { Welcome, Welcome__Output } from './gen/virtoverhead/v1/Welcome.js';
export type { RecordBatch, RecordBatch__Output } from './gen/virtoverhead/v1/RecordBatch.js';
export type { CollectorClient, CollectorHandlers } from './gen/virtoverhead/v1/Collector.js';

/** The version of the contract this build speaks. Bump when fields are added. 2: RecordBatch. 3: Hello.clock_ns. */
export const PROTOCOL_VERSION = 3;
/** The first version whose collectors accept RecordBatch. */
export const BATCH_PROTOCOL_VERSION = 2;
/** The oldest agent protocol a collector of this build still accepts. */
export const MIN_PROTOCOL_VERSION = 1;

/** Options shared by the generator (package.json `proto:gen`) and the run-time loader. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const PROTO_FILE = join(packageRoot(), 'proto', 'virtoverhead.proto');

let cached: ProtoGrpcType | undefined;

export function loadContract(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
