// A fresh root for deploy/install-agent.sh --root and the single-file bundle to install from:
// for tests of the installer that do not need the npm package (that is test/deploy-install.test.ts).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/root.js';

export const HAVE_SYSTEMCTL = spawnSync('sh', ['-c', 'command -v systemctl']).status === 0;

/** A world-readable work dir holding the bundle (`<work>/virt-overhead-agent.mjs`). */
export function bundleWorkDir(prefix: string): string {
  const work = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(work, 0o755); // unprivileged users read the installed bundle from here
  const b = spawnSync('sh', [join(packageRoot(), 'deploy', 'bundle.sh'), join(work, 'virt-overhead-agent.mjs')], { cwd: packageRoot(), encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`bundle.sh failed: ${b.stderr}`);
  return work;
}

/**
 * A world-readable folder of release files from deploy/bundle.sh (agent files for `arches`, the
 * .mjs, their sha256 list), as an operator copies it to guests; `version` stamps another
 * version into them (an upgrade's new release).
 */
export function agentFilesDir(prefix: string, o: { arches?: string[]; version?: string } = {}): string {
  const out = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(out, 0o755);
  const args = ['--out-dir', out, '--arch', (o.arches ?? ['x86_64']).join(','), ...(o.version ? ['--version', o.version] : [])];
  const b = spawnSync('sh', [join(packageRoot(), 'deploy', 'bundle.sh'), ...args], { cwd: packageRoot(), encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`bundle.sh ${args.join(' ')} failed: ${b.stderr}`);
  return out;
}

/** An empty Debian-like root with systemd's own units (what systemctl --root and systemd-analyze need). */
export function freshRoot(dir: string): string {
  for (const d of ['etc/systemd/system', 'usr/local/bin', 'opt', 'var/lib']) mkdirSync(join(dir, d), { recursive: true });
  if (existsSync('/usr/lib/systemd/system'))
    cpSync('/usr/lib/systemd/system', join(dir, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** The installer from the bundle into `root`, sysbench skipped; enabled offline where systemctl exists. */
export function installBundle(work: string, root: string, extra: string[]): SpawnSyncReturns<string> {
  return spawnSync(
    'sh',
    [
      join(packageRoot(), 'deploy', 'install-agent.sh'),
      '--root',
      root,
      '--from',
      join(work, 'virt-overhead-agent.mjs'),
      '--skip-sysbench',
      ...(HAVE_SYSTEMCTL ? [] : ['--no-enable']),
      ...extra,
    ],
    { encoding: 'utf8' },
  );
}
