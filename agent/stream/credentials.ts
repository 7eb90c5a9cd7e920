// Transport security for the agent: TLS / mutual TLS with the option names operators know
// from Telegraf (tls_ca, tls_cert, tls_key, tls_server_name). Plain text only to a loopback
// collector unless --allow-plaintext says otherwise.
import * as grpc from '@grpc/grpc-js';
import { UsageError } from '../../lib/errors.js';
import { readInputFile } from '../../lib/file-input.js';
import { isLoopbackHost } from '../../lib/net.js';

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  allowPlaintext?: boolean;
}

export function clientCredentials(address: string, tls: TlsOptions): { creds: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const options: grpc.ChannelOptions = {};
  if (tls.ca || tls.cert || tls.key) {
    if (Boolean(tls.cert) !== Boolean(tls.key)) throw new UsageError('--tls-cert and --tls-key go together');
    if (tls.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
    const creds = grpc.credentials.createSsl(
      tls.ca ? readInputFile(tls.ca, 'CA certificate') : null,
      tls.key ? readInputFile(tls.key, 'private key') : null,
      tls.cert ? readInputFile(tls.cert, 'certificate') : null,
    );
    return { creds, options };
  }
  const host = address.replace(/:\d+$/, '');
  if (!isLoopbackHost(host) && !tls.allowPlaintext) {
    throw new UsageError(
      `refusing to send results in plain text to ${address}: give --tls-ca (and --tls-cert/--tls-key for mutual TLS), or --allow-plaintext on a network you trust`,
    );
  }
  return { creds: grpc.credentials.createInsecure(), options };
}
