// Bad input at install time that needs no guest (issue 15): the real installer into a fresh
// root and the real agent, on this machine. No systemd (no systemctl on PATH; or systemctl
// without a running systemd, as in a container: a private mount namespace), no network at
// install (a network namespace with nothing in it: the bundle installs offline), hand edits of
// agent.yaml across a re-run, and a collector address that does not resolve (the agent, in a
// network namespace, so that no lookup leaves this machine). The same faults on a real
// systemd guest: lab/debian-guest.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';
import { MAIN, onceAgentArgs } from './support/cli.js';
import { bundleWorkDir, freshRoot, HAVE_SYSTEMCTL, installBundle } from './support/install-root.js';

const INSTALLER = join(packageRoot(), 'deploy', 'install-agent.sh');
const HAVE_NETNS = spawnSync('unshare', ['-n', 'true']).status === 0;
/** A private mount namespace with overlay mounts (root, a kernel with overlayfs, systemctl to enable with). */
const HAVE_MOUNTNS =
  HAVE_SYSTEMCTL &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount --make-rprivate / && mount -t tmpfs tmpfs /mnt']).status === 0 &&
  spawnSync('sh', ['-c', 'grep -qw overlay /proc/filesystems']).status === 0;
const HAVE_SYSBENCH = spawnSync('sh', ['-c', 'command -v sysbench']).status === 0;
let work: string;

beforeAll(() => {
  work = bundleWorkDir('vo-badinput-');
}, 180_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A PATH holding every command of this machine's PATH except `systemctl`: a system without systemd. */
function pathWithout(tool: string): string {
  const bin = join(work, `path-without-${tool}`);
  mkdirSync(bin, { recursive: true });
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name === tool || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

describe('installer: bad input without a guest', () => {
  it('no systemd: says what to do instead and changes nothing; --no-enable installs', () => {
    const root = freshRoot(join(work, 'root-nosystemd'));
    const before = (readdirSync(root, { recursive: true }) as string[]).sort();
    const env = { ...process.env, PATH: pathWithout('systemctl') };
    const args = [INSTALLER, '--root', root, '--from', join(work, 'virt-overhead-agent.mjs'), '--skip-sysbench', '--collector', '127.0.0.1:50051'];
    const r = spawnSync('sh', args, { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('systemctl not found');
    expect(r.stderr).toContain('--no-enable');
    expect(r.stderr).toContain("'/opt/virt-overhead/bin/virt-overhead agent --config /etc/virt-overhead/agent.yaml'");
    expect((readdirSync(root, { recursive: true }) as string[]).sort()).toEqual(before);
    const ok = spawnSync('sh', [...args, '--no-enable'], { encoding: 'utf8', env });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('not enabling virt-overhead-agent.service (--no-enable)');
    expect(existsSync(join(root, 'opt/virt-overhead/bin/virt-overhead'))).toBe(true);
    expect(existsSync(join(root, 'etc/systemd/system/timers.target.wants'))).toBe(false);
  });

  it.skipIf(!HAVE_MOUNTNS)('systemctl present but systemd not running (a container): enabled for a later boot, and it says so', () => {
    // The installer into this machine's own paths, but inside a private mount namespace: /etc
    // and /usr/local/bin are overlays whose upper layers are temporary, /opt a tmpfs, and a
    // tmpfs over /run/systemd hides a running systemd. `set -e`: if a mount fails, nothing runs.
    const ov = join(work, 'overlay');
    for (const d of ['etc-u', 'etc-w', 'bin-u', 'bin-w']) mkdirSync(join(ov, d), { recursive: true });
    const script = [
      'set -e',
      'mount --make-rprivate /',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${ov}/etc-u,workdir=${ov}/etc-w /etc`,
      `mount -t overlay overlay -o lowerdir=/usr/local/bin,upperdir=${ov}/bin-u,workdir=${ov}/bin-w /usr/local/bin`,
      'mount -t tmpfs tmpfs /opt',
      'mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd',
      `sh ${INSTALLER} --from ${join(work, 'virt-overhead-agent.mjs')} --skip-sysbench --collector 127.0.0.1:50051`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'note: systemd is not running here (no /run/systemd/system): virt-overhead-agent.timer is enabled for a boot under systemd, but nothing runs now',
    );
    expect(r.stdout).toContain("re-run with --no-enable and start '/opt/virt-overhead/bin/virt-overhead agent --config /etc/virt-overhead/agent.yaml'");
    // Everything went to the overlay's upper layer, the timer enabled there.
    expect(existsSync(join(ov, 'etc-u/virt-overhead/agent.yaml'))).toBe(true);
    // (an absolute symlink: it points into /etc as the namespace saw it, so not followed here)
    expect(lstatSync(join(ov, 'etc-u/systemd/system/timers.target.wants/virt-overhead-agent.timer'), { throwIfNoEntry: false })?.isSymbolicLink()).toBe(true);
  });

  it.skipIf(!HAVE_NETNS)('no network at install: the bundle installs offline (a network namespace with no interface up)', () => {
    const root = freshRoot(join(work, 'root-offline'));
    const r = spawnSync(
      'unshare',
      [
        '-n',
        'sh',
        INSTALLER,
        '--root',
        root,
        '--from',
        join(work, 'virt-overhead-agent.mjs'),
        '--skip-sysbench',
        ...(HAVE_SYSTEMCTL ? [] : ['--no-enable']),
        '--collector',
        '127.0.0.1:50051',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('virt-overhead agent installed');
    // The installed package runs, still without a network (the launcher's paths are the target's: run it by hand).
    const v = spawnSync('unshare', ['-n', process.execPath, join(root, 'opt/virt-overhead/lib/virt-overhead-agent.mjs'), '--version'], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toMatch(/^virt-overhead \d+\.\d+\.\d+ \(commit /);
  });

  it('a re-run with an option keeps what the operator added to agent.yaml by hand', () => {
    const root = freshRoot(join(work, 'root-edits'));
    const install = (extra: string[]) => {
      const r = installBundle(work, root, extra);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    install(['--collector', '127.0.0.1:50051']);
    const conf = join(root, 'etc/virt-overhead/agent.yaml');
    // A config the agent reads (declare is a list of KEY=VALUE): the installer now asks the agent for
    // the run's start timeout, so a file the agent would refuse fails the install (next test).
    const added = '# rack 7, measured by hand\ntests: [cpu, memory]\ntrials: 5\ndeclare:\n  - rack=r7\n';
    writeFileSync(conf, readFileSync(conf, 'utf8') + added);
    install(['--collector', '10.0.0.5:50051', '--variant', 'tcg']);
    const after = readFileSync(conf, 'utf8');
    expect(after).toMatch(/^collector: "10\.0\.0\.5:50051"$/m);
    expect(after).toMatch(/^variant: "tcg"$/m);
    expect(after.endsWith(added)).toBe(true);
    expect(after.match(/^collector:/gm)).toHaveLength(1);
    expect(install(['--variant', 'tcg'])).toContain('nothing changed');
    // The timer's start timeout follows what the operator set: cpu and memory, 5 trials (up to 10),
    // seed timeouts 120 + 300 s: 10 x 420 + 300 s flush + 300 s margin = 4 800 s.
    expect(readFileSync(join(root, 'etc/systemd/system/virt-overhead-agent.service.d/timer.conf'), 'utf8')).toMatch(/^TimeoutStartSec=4800s$/m);
    // Issue 23: a hand edit the agent would refuse (an unknown key) fails the install with the agent's reason.
    writeFileSync(conf, readFileSync(conf, 'utf8') + 'declare_typo: 1\n');
    const bad = installBundle(work, root, ['--variant', 'kvm']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/cannot work out how long a run of this profile may take \(agent --print-start-timeout\): .*declare_typo/);
  });
});

describe('installer: settings-only re-run of a bundle install', () => {
  it('without --from, from an installer copied beside the bundle, changes the settings and keeps the package', () => {
    const root = freshRoot(join(work, 'root-rerun'));
    // As on a guest: install-agent.sh and systemd/ copied next to the bundle, no project around.
    const copy = join(work, 'copied-installer');
    mkdirSync(join(copy, 'systemd'), { recursive: true });
    for (const f of ['install-agent.sh', 'systemd/virt-overhead-agent.service', 'systemd/virt-overhead-agent.timer'])
      writeFileSync(join(copy, f), readFileSync(join(packageRoot(), 'deploy', f)));
    const run = (extra: string[]) =>
      spawnSync('sh', [join(copy, 'install-agent.sh'), '--root', root, '--skip-sysbench', ...(HAVE_SYSTEMCTL ? [] : ['--no-enable']), ...extra], {
        encoding: 'utf8',
      });
    const first = run(['--from', join(work, 'virt-overhead-agent.mjs'), '--collector', '127.0.0.1:50051']);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const bundle = readFileSync(join(root, 'opt/virt-overhead/lib/virt-overhead-agent.mjs'));
    const again = run(['--collector', '10.0.0.9:50051']);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toContain('installed bundle');
    expect(readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8')).toMatch(/^collector: "10\.0\.0\.9:50051"$/m);
    expect(readFileSync(join(root, 'opt/virt-overhead/lib/virt-overhead-agent.mjs')).equals(bundle)).toBe(true);
    expect(readFileSync(join(root, 'opt/virt-overhead/bin/virt-overhead'), 'utf8')).toContain('/opt/virt-overhead/lib/virt-overhead-agent.mjs');
  });
});

describe.skipIf(!HAVE_NETNS || !HAVE_SYSBENCH)('agent: a collector address that does not resolve', () => {
  it('keeps every result in the spool, says why, exits 3; nothing is lost', () => {
    const workdir = join(work, 'nodns');
    mkdirSync(workdir);
    // A new network namespace: the name lookup fails here, and nothing leaves this machine.
    const args = onceAgentArgs({
      collector: 'collector.invalid:50051',
      agentId: 'nodns',
      group: 'nodns',
      workdir,
      tests: 'cpu',
      role: 'guest',
      extra: ['--flush-timeout', '2s', '--allow-plaintext'],
    });
    const r = spawnSync('unshare', ['-n', process.execPath, MAIN, ...args], { encoding: 'utf8', timeout: 600_000 });
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines.at(-1)!;
    expect(r.status, r.stderr.slice(-2000)).toBe(3);
    // Said at once, with the name and the reason, while the suite goes on measuring.
    const warned = lines.find((l) => l.msg === 'collector unreachable; results stay in the spool, retrying');
    expect(warned?.error, r.stderr.slice(-2000)).toBe('UNAVAILABLE: Name resolution failed for target dns:collector.invalid:50051');
    expect(last.lost).toBe(0);
    expect(last.delivered).toBe(0);
    expect(last.spooled).toBe(last.measured);
    expect(Number(last.measured)).toBeGreaterThan(0);
  });
});
