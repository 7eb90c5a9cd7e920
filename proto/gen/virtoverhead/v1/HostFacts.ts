// Original file: proto/virtoverhead.proto

import type { Long } from '@grpc/proto-loader';

export interface HostFacts {
  'os'?: (string);
  'kernel'?: (string);
  'arch'?: (string);
  'cpu_model'?: (string);
  'cpus'?: (number);
  'memory_bytes'?: (number | string | Long);
}

export interface HostFacts__Output {
  'os': (string);
  'kernel': (string);
  'arch': (string);
  'cpu_model': (string);
  'cpus': (number);
  'memory_bytes': (string);
}
