// The agent's TLS to a collector dialled by IP address: Node's DEP0123 warning (an IP as the TLS
// ServerName, which grpc-js always sets to the dialled host) is dropped, and only that warning.
// Real TLS connects (to a closed loopback port: the warning is raised when the connect starts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentials } from './credentials.js';

let dir: string;
let closedPort: number;
const ca = () => join(dir, 'ca.pem');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vo-credentials-'));
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=test CA',
      '-days',
      '1',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      ca(),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  // A loopback port nothing listens on (taken, then released).
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  closedPort = (s.address() as { port: number }).port;
  await new Promise((res) => s.close(res));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TLS connect with an IP address as ServerName, as grpc-js makes it; the warnings it raised. */
async function warningsOfIpServerName(): Promise<string[]> {
  const seen: string[] = [];
  const listen = (w: Error & { code?: string }) => seen.push(String(w.code ?? w.name));
  process.on('warning', listen);
  const sock = connect({ host: '127.0.0.1', port: closedPort, servername: '10.0.2.100' });
  await new Promise<void>((res) => sock.once('error', () => res()));
  process.emitWarning('another warning', { code: 'VO_TEST_OTHER' });
  await new Promise((res) => setImmediate(res));
  process.off('warning', listen);
  return seen;
}

describe('TLS to a collector dialled by IP address', () => {
  it('Node warns DEP0123 for an IP ServerName when nothing drops it (what the agent silences)', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', `require('node:tls').connect({ host: '127.0.0.1', port: ${closedPort}, servername: '10.0.2.100' }).on('error', () => {})`],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toContain('DEP0123');
  });

  it('after the agent sets up TLS for an IP target, DEP0123 is dropped and other warnings still arrive', async () => {
    const { options } = clientCredentials('10.0.2.100:50051', { ca: ca() });
    expect(options['grpc.ssl_target_name_override']).toBeUndefined();
    const seen = await warningsOfIpServerName();
    expect(seen).not.toContain('DEP0123');
    expect(seen).toContain('VO_TEST_OTHER');
  });
});
