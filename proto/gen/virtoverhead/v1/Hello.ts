// Original file: proto/virtoverhead.proto

import type { HostFacts as _virtoverhead_v1_HostFacts, HostFacts__Output as _virtoverhead_v1_HostFacts__Output } from '../../virtoverhead/v1/HostFacts';
import type { Environment as _virtoverhead_v1_Environment, Environment__Output as _virtoverhead_v1_Environment__Output } from '../../virtoverhead/v1/Environment';
import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'protocol_version'?: (number);
  'agent_id'?: (string);
  'hostname'?: (string);
  'group'?: (string);
  /**
   * "baseline" | "guest"
   */
  'role'?: (string);
  /**
   * free label of a configuration, e.g. "stock-qemu"
   */
  'variant'?: (string);
  'host'?: (_virtoverhead_v1_HostFacts | null);
  'environment'?: (_virtoverhead_v1_Environment | null);
  'agent_version'?: (string);
  'sysbench_version'?: (string);
  /**
   * The agent this one runs on (`--parent`): the next layer down of a nested stack. Empty =
   * not declared. The collector compares the agent with it (one layer) and with the bottom
   * of the chain (the whole stack); docs/overhead.md "Nested stacks".
   */
  'parent_agent'?: (string);
  /**
   * The agent's wall clock when it sent this hello (protocol 3; 0 = not sent). The collector
   * compares it with its own to flag every record of an agent whose clock is wrong.
   */
  'clock_ns'?: (number | string | Long);
}

export interface Hello__Output {
  'protocol_version': (number);
  'agent_id': (string);
  'hostname': (string);
  'group': (string);
  /**
   * "baseline" | "guest"
   */
  'role': (string);
  /**
   * free label of a configuration, e.g. "stock-qemu"
   */
  'variant': (string);
  'host': (_virtoverhead_v1_HostFacts__Output | null);
  'environment': (_virtoverhead_v1_Environment__Output | null);
  'agent_version': (string);
  'sysbench_version': (string);
  /**
   * The agent this one runs on (`--parent`): the next layer down of a nested stack. Empty =
   * not declared. The collector compares the agent with it (one layer) and with the bottom
   * of the chain (the whole stack); docs/overhead.md "Nested stacks".
   */
  'parent_agent': (string);
  /**
   * The agent's wall clock when it sent this hello (protocol 3; 0 = not sent). The collector
   * compares it with its own to flag every record of an agent whose clock is wrong.
   */
  'clock_ns': (string);
}
