// A NoCloud seed for a lab guest: a small vfat volume labelled CIDATA holding user-data and
// meta-data, which cloud-init finds by its label on first boot (as on any cloud image). Made
// with dosfstools and mtools, so no loop device or mount is needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SeedOptions {
  /** The vfat image to write. */
  out: string;
  /** The #cloud-config text, as the operator wrote it. */
  userData: string;
  /** A new instance-id makes cloud-init treat the boot as a first boot. */
  instanceId: string;
  hostname: string;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} could not start (${r.error.message}): install dosfstools and mtools (scripts/bootstrap.sh --test)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
}

/** Writes the seed image (1 MiB: the two files are a few KiB). */
export function makeNoCloudSeed(o: SeedOptions): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(o.hostname)) throw new Error(`lab: '${o.hostname}' is not a valid guest hostname`);
  const dir = mkdtempSync(`${o.out}.files-`);
  try {
    writeFileSync(join(dir, 'user-data'), o.userData);
    writeFileSync(join(dir, 'meta-data'), `instance-id: ${JSON.stringify(o.instanceId)}\nlocal-hostname: ${o.hostname}\n`);
    rmSync(o.out, { force: true });
    run('mkfs.vfat', ['-C', '-n', 'CIDATA', o.out, '1024']);
    run('mcopy', ['-i', o.out, join(dir, 'user-data'), join(dir, 'meta-data'), '::']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
