// The certificate recipe (virt-overhead cert) with the real openssl: what it makes is checked by
// openssl itself (verify against the CA, the extensions), keys are 0600, nothing is overwritten.
// A TLS handshake with these files against the real collector: test/enrolment.e2e.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCa, makeSigned } from './cert.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-cert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('virt-overhead cert', () => {
  const pki = join(dir, 'pki');

  it('a CA, then a collector certificate it signs, naming every DNS name and address in subjectAltName', () => {
    const ca = makeCa({ dir: pki, days: 30, name: 'test CA' });
    expect(ca.files).toEqual([join(pki, 'ca.key'), join(pki, 'ca.pem')]);
    expect(ca.commands[0]).toMatch(/^openssl req -x509 -newkey ec /);
    const server = makeSigned({ dir: pki, days: 10, kind: 'server', names: ['collector.example', 'localhost', '10.0.2.100'], file: 'collector' });
    expect(openssl('verify', '-CAfile', join(pki, 'ca.pem'), join(pki, 'collector.pem')).trim()).toBe(`${join(pki, 'collector.pem')}: OK`);
    const text = openssl('x509', '-in', join(pki, 'collector.pem'), '-noout', '-text');
    expect(text).toContain('DNS:collector.example, DNS:localhost, IP Address:10.0.2.100');
    expect(text).toMatch(/Extended Key Usage:\s*\n\s*TLS Web Server Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    expect(openssl('x509', '-in', join(pki, 'ca.pem'), '-noout', '-text')).toMatch(/CA:TRUE/);
    for (const key of [join(pki, 'ca.key'), join(pki, 'collector.key')]) expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(server.commands).toHaveLength(2);
    // The temporary request and extension files are gone.
    expect(readFileSync(join(pki, 'collector.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('an agent client certificate: its id as the subject CN, client authentication only', () => {
    makeSigned({ dir: pki, days: 10, kind: 'client', names: ['guest-7'], file: 'agent-guest-7' });
    expect(openssl('x509', '-in', join(pki, 'agent-guest-7.pem'), '-noout', '-subject').trim()).toBe('subject=CN = guest-7');
    expect(openssl('x509', '-in', join(pki, 'agent-guest-7.pem'), '-noout', '-text')).toMatch(/Extended Key Usage:\s*\n\s*TLS Web Client Authentication/);
  });

  it('refuses to overwrite, a missing CA, no name, odd names and days out of range', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    const before = readFileSync(join(pki, 'ca.pem'), 'utf8');
    expect(err(() => makeCa({ dir: pki, days: 30, name: 'x' }))).toBe(
      `${join(pki, 'ca.key')}, ${join(pki, 'ca.pem')} already exist: move them away first (nothing is overwritten)`,
    );
    expect(readFileSync(join(pki, 'ca.pem'), 'utf8')).toBe(before);
    expect(err(() => makeSigned({ dir: join(dir, 'empty'), days: 1, kind: 'server', names: ['a'], file: 'collector' }))).toMatch(
      /ca\.key is missing: make the CA first \(virt-overhead cert ca --dir .*empty\)$/,
    );
    expect(err(() => makeSigned({ dir: pki, days: 1, kind: 'server', names: [], file: 'c2' }))).toBe(
      'give at least one --name (a DNS name or IP address agents dial)',
    );
    expect(err(() => makeSigned({ dir: pki, days: 1, kind: 'server', names: ['a b'], file: 'c2' }))).toMatch(/^--name 'a b': /);
    expect(err(() => makeSigned({ dir: pki, days: 0, kind: 'server', names: ['a'], file: 'c2' }))).toBe(
      '--days 0: give a whole number of days from 1 to 36500',
    );
  });
});
