// A certificate recipe for the collector's TLS (`virt-overhead cert`): a private CA, the
// collector's certificate signed by it, and optionally agents' client certificates (mutual TLS).
// The openssl command line does the work — on every server already, what operators know, and
// what docs/install.md shows so the same files can be made by hand; each command is returned so
// the CLI prints what it ran. Keys are EC P-256, written 0600; nothing is overwritten.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../../lib/errors.js';

export interface Made {
  files: string[];
  /** The openssl command lines, as a reader could run them (temporary file names included). */
  commands: string[];
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], commands: string[]): void {
  commands.push(['openssl', ...args].map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a}'`)).join(' '));
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the openssl command is not installed (Debian/Ubuntu: apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

function refuseExisting(files: string[]): void {
  const there = files.filter((f) => existsSync(f));
  if (there.length)
    throw new UsageError(
      `${there.join(', ')} already exist${there.length === 1 ? 's' : ''}: move ${there.length === 1 ? 'it' : 'them'} away first (nothing is overwritten)`,
    );
}

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new UsageError(`--days ${days}: give a whole number of days from 1 to 36500`);
}

/** dir/ca.key and dir/ca.pem: a CA that signs only the certificates this command makes. */
export function makeCa(o: { dir: string; days: number; name: string }): Made {
  checkDays(o.days);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const key = join(o.dir, 'ca.key');
  const cert = join(o.dir, 'ca.pem');
  refuseExisting([key, cert]);
  const commands: string[] = [];
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(o.days),
      '-subj',
      `/CN=${o.name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    commands,
  );
  chmodSync(key, 0o600);
  return { files: [key, cert], commands };
}

/**
 * dir/<file>.key and dir/<file>.pem signed by dir/ca.*: `server` for the collector (names: the
 * DNS names and IP addresses agents dial, all in subjectAltName), `client` for an agent's mutual
 * TLS (names: one, the agent id, as the subject CN the tokens file's `certificate:` names).
 */
export function makeSigned(o: { dir: string; days: number; kind: 'server' | 'client'; names: string[]; file: string }): Made {
  checkDays(o.days);
  if (o.names.length === 0) throw new UsageError(`give at least one --name (${o.kind === 'server' ? 'a DNS name or IP address agents dial' : 'the agent id'})`);
  if (o.kind === 'client' && o.names.length > 1) throw new UsageError('a client certificate names one agent: give one --name');
  for (const n of o.names)
    if (!/^[A-Za-z0-9.:*_-]+$/.test(n)) throw new UsageError(`--name '${n}': a DNS name, an IP address or an agent id (letters, digits, . : _ - *)`);
  const ca = { key: join(o.dir, 'ca.key'), cert: join(o.dir, 'ca.pem') };
  for (const f of [ca.key, ca.cert]) if (!existsSync(f)) throw new UsageError(`${f} is missing: make the CA first (virt-overhead cert ca --dir ${o.dir})`);
  const key = join(o.dir, `${o.file}.key`);
  const cert = join(o.dir, `${o.file}.pem`);
  refuseExisting([key, cert]);
  const csr = join(o.dir, `.${o.file}.csr`);
  const ext = join(o.dir, `.${o.file}.ext`);
  const san = o.names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${o.kind === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(o.kind === 'server' ? [`subjectAltName=${san}`] : []),
      '',
    ].join('\n'),
  );
  const commands: string[] = [];
  try {
    openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${o.names[0]}`], commands);
    chmodSync(key, 0o600);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-set_serial',
        `0x${randomBytes(16).toString('hex')}`,
        '-days',
        String(o.days),
        '-out',
        cert,
        '-extfile',
        ext,
      ],
      commands,
    );
  } catch (err) {
    rmSync(key, { force: true });
    throw err;
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return { files: [key, cert], commands };
}
