// Original file: proto/virtoverhead.proto


export interface Ack {
  'ids'?: (string)[];
}

export interface Ack__Output {
  'ids': (string)[];
}
