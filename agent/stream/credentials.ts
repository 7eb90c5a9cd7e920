// Transport security for the agent: TLS / mutual TLS with the option names operators know
// from Telegraf (tls_ca, tls_cert, tls_key, tls_server_name). Plain text only to a loopback
// collector unless --allow-plaintext says otherwise.
import { isIP } from 'node:net';
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
    if (isIP(tls.serverName ?? address.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''))) quietIpServerNameWarning();
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

let quieted = false;

/**
 * grpc-js always hands the dialled host to TLS as the ServerName (SNI), and Node warns (DEP0123)
 * once a process when that is an IP address, which RFC 6066 leaves out of SNI. A collector
 * dialled by address is normal (a lab or a fleet without DNS), the collector reads no SNI, and
 * the certificate is still checked against the address (its subjectAltName IP): the warning
 * tells the operator nothing to act on, and grpc-js has no option to leave SNI out. So, for an
 * IP target only, that one warning is dropped; every other warning is printed as before.
 */
export function quietIpServerNameWarning(): void {
  if (quieted) return;
  quieted = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = rest[0] !== null && typeof rest[0] === 'object' ? (rest[0] as { code?: unknown }).code : rest[1];
    if (code !== 'DEP0123') emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * What a TLS failure in a gRPC error means for whoever set the options up, or undefined when the
 * error is not one (OpenSSL's reasons, as Node reports them, are terse).
 */
export function tlsFailureHint(error: string, tls: TlsOptions): string | undefined {
  const ca = tls.ca ? `--tls-ca ${tls.ca}` : "the system's CAs (no --tls-ca)";
  if (/certificate has expired/.test(error))
    return `the collector's certificate (or its CA) has expired: renew it (virt-overhead cert collector, docs/install.md "TLS")`;
  if (/certificate is not yet valid/.test(error)) return "the collector's certificate is not valid yet: check both clocks";
  if (/unable to verify the first certificate|unable to get local issuer certificate|self[- ]signed certificate/.test(error))
    return `the collector's certificate is not signed by ${ca}: the wrong CA file, or the collector presents another certificate`;
  if (/does not match certificate's altnames|Hostname\/IP does not match/i.test(error))
    return `the collector's certificate does not name the address dialled: add it to the certificate (virt-overhead cert collector --name) or set --tls-server-name`;
  if (/wrong version number|packet length too long|http_request/i.test(error)) return 'the collector does not speak TLS on this port (plain text?)';
  return undefined;
}
