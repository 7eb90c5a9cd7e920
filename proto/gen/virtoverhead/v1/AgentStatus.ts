// Original file: proto/virtoverhead.proto

import type { Long } from '@grpc/proto-loader';

export interface AgentStatus {
  'id'?: (string);
  'timestamp_ns'?: (number | string | Long);
  /**
   * records waiting in the spool
   */
  'spooled'?: (number | string | Long);
  /**
   * records dropped because the spool was full (since start of spool)
   */
  'dropped'?: (number | string | Long);
  /**
   * torn or corrupt spool records skipped
   */
  'corrupt'?: (number | string | Long);
  'last_run_ok'?: (boolean);
  /**
   * idle | running | replaying
   */
  'state'?: (string);
  /**
   * records the collector refused as invalid
   */
  'rejected'?: (number | string | Long);
}

export interface AgentStatus__Output {
  'id': (string);
  'timestamp_ns': (string);
  /**
   * records waiting in the spool
   */
  'spooled': (string);
  /**
   * records dropped because the spool was full (since start of spool)
   */
  'dropped': (string);
  /**
   * torn or corrupt spool records skipped
   */
  'corrupt': (string);
  'last_run_ok': (boolean);
  /**
   * idle | running | replaying
   */
  'state': (string);
  /**
   * records the collector refused as invalid
   */
  'rejected': (string);
}
