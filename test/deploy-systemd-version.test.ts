// The installer refuses a systemd older than 247 (no LoadCredential=: the agent could not read
// its root-only token) before it writes anything, naming the releases that have it. An image
// given with --root is judged by its own libsystemd-shared-N.so, wherever its release keeps it
// (Debian 11: /lib/systemd, Debian 12: /usr/lib/<multiarch>/systemd). Dry runs into temp roots.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A root whose systemd is `lib` (a path inside it), and the installer's dry run into it. */
function dryRun(lib: string): { code: number | null; stderr: string; files: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'vo-systemd-version-'));
  roots.push(root);
  mkdirSync(dirname(join(root, lib)), { recursive: true });
  writeFileSync(join(root, lib), '');
  const r = spawnSync(
    'sh',
    [join(packageRoot(), 'deploy/install-agent.sh'), '--root', root, '--dry-run', '--from', join(root, 'no-release'), '--collector', '10.0.2.100:50051'],
    { encoding: 'utf8' },
  );
  return { code: r.status, stderr: r.stderr, files: readdirSync(root, { recursive: true, encoding: 'utf8' }) };
}

describe('install-agent.sh and the systemd release', () => {
  it.each([
    ['Ubuntu 20.04', '245', 'usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-245.so'],
    ['RHEL 8', '239', 'usr/lib/systemd/libsystemd-shared-239.so'],
  ])('refuses %s (systemd %s) with the reason and where it works, writing nothing', (_name, v, lib) => {
    const r = dryRun(lib);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`systemd ${v} is too old for the agent's unit: it needs 247 or newer (LoadCredential=`);
    expect(r.stderr).toContain('Debian >= 11');
    expect(r.files.sort()).toEqual([...lib.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'))].sort());
  });

  it.each([
    ['Debian 11', 'lib/systemd/libsystemd-shared-247.so'],
    ['Debian 12', 'usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so'],
  ])('lets %s through (it stops later, at the missing release folder)', (_name, lib) => {
    const r = dryRun(lib);
    expect(r.stderr).not.toContain('too old');
    expect(r.stderr).toContain('no-release');
  });
});
