// Original file: proto/virtoverhead.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One finished sysbench run (one test, one trial).
 */
export interface Result {
  /**
   * unique per result; identical across resends
   */
  'id'?: (string);
  /**
   * fixed when the run ended; identical across resends
   */
  'timestamp_ns'?: (number | string | Long);
  /**
   * one suite run of the agent
   */
  'run_id'?: (string);
  /**
   * cpu | threads | fileio | memory | mutex
   */
  'test'?: (string);
  'profile'?: (string);
  'trial'?: (number);
  'threads'?: (number);
  'ok'?: (boolean);
  /**
   * names of the `sysbench` measurement (docs/schema.md)
   */
  'fields'?: ({[key: string]: number | string});
  'errors'?: (string)[];
  'sysbench_version'?: (string);
  /**
   * The step each field was printed at, in the field's unit ("0.02" ms → 0.01): statistics
   * take it into account (docs/overhead.md "Resolution"). Keys are names in `fields`; absent
   * from older agents (the collector then infers the step from the values).
   */
  'resolution'?: ({[key: string]: number | string});
  /**
   * What else ran on the machine during the trial (issue 22 item 6): steal, contention, load,
   * CPU frequency, the agent's own CPU use. Keys and ranges: schema/noise.ts (docs/schema.md).
   * Absent from older agents and where the agent could read nothing.
   */
  'noise'?: ({[key: string]: number | string});
  /**
   * Why the trial counts as disturbed (agent/noise/disturbed.ts: steal or contention above 5 %
   * of the CPU time it wanted); empty when it does not (or, with no noise, was not judged).
   */
  'disturbed'?: (string);
}

/**
 * One finished sysbench run (one test, one trial).
 */
export interface Result__Output {
  /**
   * unique per result; identical across resends
   */
  'id': (string);
  /**
   * fixed when the run ended; identical across resends
   */
  'timestamp_ns': (string);
  /**
   * one suite run of the agent
   */
  'run_id': (string);
  /**
   * cpu | threads | fileio | memory | mutex
   */
  'test': (string);
  'profile': (string);
  'trial': (number);
  'threads': (number);
  'ok': (boolean);
  /**
   * names of the `sysbench` measurement (docs/schema.md)
   */
  'fields': ({[key: string]: number});
  'errors': (string)[];
  'sysbench_version': (string);
  /**
   * The step each field was printed at, in the field's unit ("0.02" ms → 0.01): statistics
   * take it into account (docs/overhead.md "Resolution"). Keys are names in `fields`; absent
   * from older agents (the collector then infers the step from the values).
   */
  'resolution': ({[key: string]: number});
  /**
   * What else ran on the machine during the trial (issue 22 item 6): steal, contention, load,
   * CPU frequency, the agent's own CPU use. Keys and ranges: schema/noise.ts (docs/schema.md).
   * Absent from older agents and where the agent could read nothing.
   */
  'noise': ({[key: string]: number});
  /**
   * Why the trial counts as disturbed (agent/noise/disturbed.ts: steal or contention above 5 %
   * of the CPU time it wanted); empty when it does not (or, with no noise, was not judged).
   */
  'disturbed': (string);
}
