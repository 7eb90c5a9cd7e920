// Collector transport security: TLS, optionally requiring client certificates (mutual TLS).
// Plain text only on a loopback address unless explicitly allowed.
import * as grpc from '@grpc/grpc-js';
import { UsageError } from '../../lib/errors.js';
import { readInputFile } from '../../lib/file-input.js';
import { isLoopbackHost } from '../../lib/net.js';

export interface ServerTlsOptions {
  cert?: string;
  key?: string;
  clientCa?: string;
  allowPlaintext?: boolean;
}

export function serverCredentials(listen: string, tls: ServerTlsOptions): grpc.ServerCredentials {
  if (tls.cert || tls.key) {
    if (!tls.cert || !tls.key) throw new UsageError('--tls-cert and --tls-key go together');
    const ca = tls.clientCa ? readInputFile(tls.clientCa, 'client CA') : null;
    return grpc.ServerCredentials.createSsl(
      ca,
      [{ cert_chain: readInputFile(tls.cert, 'certificate'), private_key: readInputFile(tls.key, 'private key') }],
      ca !== null,
    );
  }
  if (tls.clientCa) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
  const host = listen.replace(/:\d+$/, '');
  if (!isLoopbackHost(host) && !tls.allowPlaintext) {
    throw new UsageError(`refusing to listen in plain text on ${listen}: give --tls-cert and --tls-key, or --allow-plaintext on a network you trust`);
  }
  return grpc.ServerCredentials.createInsecure();
}
