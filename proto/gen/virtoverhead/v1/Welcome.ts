// Original file: proto/virtoverhead.proto


export interface Welcome {
  'protocol_version'?: (number);
  'collector_version'?: (string);
}

export interface Welcome__Output {
  'protocol_version': (number);
  'collector_version': (string);
}
