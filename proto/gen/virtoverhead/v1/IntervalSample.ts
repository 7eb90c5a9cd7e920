// Original file: proto/virtoverhead.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One `--report-interval` line, sent the moment sysbench printed it.
 */
export interface IntervalSample {
  'id'?: (string);
  'timestamp_ns'?: (number | string | Long);
  'run_id'?: (string);
  'test'?: (string);
  'profile'?: (string);
  'trial'?: (number);
  /**
   * names of the `sysbench_interval` measurement
   */
  'fields'?: ({[key: string]: number | string});
  'sysbench_version'?: (string);
}

/**
 * One `--report-interval` line, sent the moment sysbench printed it.
 */
export interface IntervalSample__Output {
  'id': (string);
  'timestamp_ns': (string);
  'run_id': (string);
  'test': (string);
  'profile': (string);
  'trial': (number);
  /**
   * names of the `sysbench_interval` measurement
   */
  'fields': ({[key: string]: number});
  'sysbench_version': (string);
}
