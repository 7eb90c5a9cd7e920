// Original file: proto/virtoverhead.proto


export interface Reject {
  'id'?: (string);
  /**
   * a gRPC status code, e.g. 3 INVALID_ARGUMENT
   */
  'code'?: (number);
  'reason'?: (string);
}

export interface Reject__Output {
  'id': (string);
  /**
   * a gRPC status code, e.g. 3 INVALID_ARGUMENT
   */
  'code': (number);
  'reason': (string);
}
