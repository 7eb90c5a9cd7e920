// The installed agent and /dev/kvm. The unit runs the agent as a DynamicUser; the installer adds
// `SupplementaryGroups=kvm` where the group exists, so with the usual 0660 root:kvm device the
// agent tries KVM instead of stopping at 'device'. Where this process may not open the device
// the verdict must be 'unknown' with the reason, never 'unusable'.
//
// Stand-in: no systemd runs as PID 1 here, so the unit's identity is reproduced with setpriv (an
// unused uid, the kvm group's gid as its only supplementary group, no capabilities), and the
// 0660 root:kvm device with a node made by mknod and bind-mounted over /dev/kvm in a private
// mount namespace (unshare -m). The device, the kernel's KVM and the installed bundle are real.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkDir, freshRoot, installBundle } from './support/install-root.js';

const KVM_GID = 61_235;
const AGENT_UID = 61_234;

/** Why this machine cannot run the live part, or null when it can. */
function cannotRun(): string | null {
  try {
    if (!statSync('/dev/kvm').isCharacterDevice()) return '/dev/kvm is not a character device';
  } catch {
    return 'no /dev/kvm on this machine';
  }
  if (process.getuid?.() !== 0) return 'needs root (mknod, mount namespace, setpriv)';
  for (const tool of ['unshare', 'setpriv', 'mknod']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found (util-linux/coreutils)`;
  }
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) return 'unshare -m is not permitted here';
  return null;
}
const skipReason = cannotRun();

let work: string;
let root: string;

function install(extra: string[] = []): string {
  const r = installBundle(work, root, ['--collector', '127.0.0.1:1', '--no-enable', ...extra]);
  if (r.status !== 0) throw new Error(`installer exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `detect --json` from the installed bundle, as the unit's user would run it. */
function detectAs(groups: number[], deviceGroup: number): { verdict: string; level: string; reason: string } {
  const dev = join(work, 'kvm-node');
  rmSync(dev, { force: true });
  const script = [
    `mknod ${dev} c 10 232 && chown 0:${deviceGroup} ${dev} && chmod 0660 ${dev}`,
    `mount --bind ${dev} /dev/kvm`,
    `exec setpriv --reuid=${AGENT_UID} --regid=${AGENT_UID} ${groups.length ? `--groups=${groups.join(',')}` : '--clear-groups'} --inh-caps=-all --bounding-set=-all ` +
      `env TMPDIR=${join(work, 'tmp')} ${process.execPath} ${join(root, 'opt/virt-overhead/lib/virt-overhead-agent.mjs')} detect --json`,
  ].join(' && ');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`detect exited ${r.status}: ${r.stdout}${r.stderr}`);
  return (JSON.parse(r.stdout) as { kvm: { verdict: string; level: string; reason: string } }).kvm;
}

beforeAll(() => {
  work = bundleWorkDir('vo-kvm-access-');
  mkdirSync(join(work, 'tmp'), { mode: 0o1777 });
  chmodSync(join(work, 'tmp'), 0o1777);
  root = freshRoot(join(work, 'root'));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const dropin = () => join(root, 'etc/systemd/system/virt-overhead-agent.service.d/kvm.conf');

describe('installer: /dev/kvm access for the dynamic user', () => {
  it('without a kvm group it adds nothing (systemd would refuse a unit naming a missing group)', () => {
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    install();
    expect(existsSync(dropin())).toBe(false);
  });

  it('with a kvm group it adds SupplementaryGroups=kvm; a second run changes nothing', () => {
    writeFileSync(join(root, 'etc/group'), `root:x:0:\nkvm:x:${KVM_GID}:\n`);
    expect(install()).toContain('wrote /etc/systemd/system/virt-overhead-agent.service.d/kvm.conf');
    expect(readFileSync(dropin(), 'utf8')).toMatch(/^\[Service\]\nSupplementaryGroups=kvm$/m);
    expect(install()).toContain('nothing changed');
  });
});

describe.skipIf(skipReason !== null)(`the installed agent on this machine's /dev/kvm${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('with the unit identity (group kvm) it gets beyond "device"', () => {
    const kvm = detectAs([KVM_GID], KVM_GID);
    // The bundle carries no CPUID helper, so node's own open is as far as it goes: 'openable'.
    expect(kvm.level).not.toBe('device');
    expect(['openable', 'vm-created', 'vcpu-ran']).toContain(kvm.level);
    expect(kvm.verdict).toBe('unknown'); // only a guest boot can say usable
  });

  it('without the group it may not open the device: unknown with the reason, never unusable', () => {
    const kvm = detectAs([], KVM_GID);
    expect(kvm).toMatchObject({ verdict: 'unknown', level: 'device' });
    expect(kvm.reason).toMatch(/may not open \/dev\/kvm \(EACCES: permission denied/);
  });
});

if (skipReason) console.warn(`deploy-kvm-access: live /dev/kvm part skipped: ${skipReason}`);
