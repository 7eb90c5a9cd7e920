// Timer mode, the installer's default: a systemd timer (RandomizedDelaySec jitter,
// Persistent=true) starts `agent --once`, so no agent process stays resident between runs.
// Installed for real into a fresh root (systemctl --root, systemd-analyze verify); the same
// root switched to --daemon and back, then uninstalled to nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkDir, freshRoot, HAVE_SYSTEMCTL, installBundle } from './support/install-root.js';

const HAVE_ANALYZE = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0 && existsSync('/usr/lib/systemd/system');
let work: string;
let root: string;
const etc = (p: string) => join(root, 'etc/systemd/system', p);
/** An enablement symlink (absolute, pointing inside the root, so existsSync cannot follow it). */
const linked = (p: string): boolean => {
  try {
    return lstatSync(etc(p)).isSymbolicLink();
  } catch {
    return false;
  }
};

function install(extra: string[]): string {
  const r = installBundle(work, root, extra);
  if (r.status !== 0) throw new Error(`installer exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}
/** Every path under dir (relative), for "leaves nothing behind". */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

beforeAll(() => {
  work = bundleWorkDir('vo-timer-');
  root = freshRoot(join(work, 'root'));
}, 180_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('installer timer mode', () => {
  let pristine: string[];
  it('is the default: timer from --interval/--jitter, oneshot drop-in running agent --once', () => {
    pristine = listing(root);
    install(['--collector', '127.0.0.1:50051', '--interval', '12h', '--jitter', '30m']);
    const timer = readFileSync(etc('virt-overhead-agent.timer'), 'utf8');
    expect(timer).toMatch(/^OnCalendar=00\/12:00$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=30m$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    const dropin = readFileSync(etc('virt-overhead-agent.service.d/timer.conf'), 'utf8');
    expect(dropin).toMatch(/^Type=oneshot$/m);
    expect(dropin).toMatch(/^ExecStart=$\n^ExecStart=\/opt\/virt-overhead\/bin\/virt-overhead agent --config \/etc\/virt-overhead\/agent.yaml --once$/m);
    // The profile's longest run (agent --print-start-timeout): seed, 3 trials (up to 6), flush 5 min, 300 s margin = 22 200 s.
    expect(dropin).toMatch(/^TimeoutStartSec=22200s$/m);
    if (HAVE_SYSTEMCTL) {
      expect(linked('timers.target.wants/virt-overhead-agent.timer')).toBe(true);
      expect(linked('multi-user.target.wants/virt-overhead-agent.service')).toBe(false);
    }
    expect(install([])).toContain('nothing changed');
  });

  it.skipIf(!HAVE_ANALYZE)('systemd-analyze verify accepts the timer and the service with its drop-in', () => {
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'virt-overhead-agent.timer', 'virt-overhead-agent.service'], { encoding: 'utf8' });
    expect((r.stdout + r.stderr).split('\n').filter((l) => l.includes('virt-overhead'))).toEqual([]);
    // systemd's own reading of the calendar event: every 12 hours.
    const cal = spawnSync('systemd-analyze', ['calendar', '00/12:00'], { encoding: 'utf8' });
    expect(cal.stdout).toMatch(/Normalized form: \*-\*-\* 00\/12:00:00/);
  });

  // Issue 23 item 8: the operator who typed a value wrong at 3 a.m. `--jitter '10m|x'` wrote a
  // one-byte timer unit and said "installed", exit 0; a newline split agent.yaml.
  it('refuses values it cannot write whole (a |, a newline, a control character, a duration without a unit), before anything changed', () => {
    const files = () => ['etc/virt-overhead/agent.yaml', 'etc/systemd/system/virt-overhead-agent.timer'].map((f) => readFileSync(join(root, f), 'utf8'));
    const before = files();
    for (const [args, message] of [
      [['--jitter', '10m|x'], /--jitter: value may not contain '\|'/],
      [['--group', 'a\nb'], /--group: value may not contain a newline or a control character/],
      [['--variant', 'v\u001b[2J'], /--variant: value may not contain a newline or a control character/],
      [['--token', 'tok\nen-0123456789'], /--token \(or VIRT_OVERHEAD_INSTALL_TOKEN\): value may not contain a newline/],
      [['--interval', '6'], /--interval must be a duration: a whole number with a unit .* not '6'/],
      [['--jitter', 'ten minutes'], /--jitter must be a duration/],
    ] as const) {
      const r = installBundle(work, root, [...args]);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 1]);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toMatch(/installed/);
    }
    expect(files()).toEqual(before);
  });

  it("the oneshot unit's start timeout follows the profile; a unit that cannot be written fails the install", () => {
    install(['--profile', 'quick']);
    // quick: (60 + 90 + 3 x 240 + 120 + 120) s x 6 trials at most + 300 s flush + 300 s margin = 7 260 s.
    expect(readFileSync(etc('virt-overhead-agent.service.d/timer.conf'), 'utf8')).toMatch(/^TimeoutStartSec=7260s$/m);
    install(['--profile', 'seed']);
    // The drop-in's path taken by a directory: mv would have moved the file into it and said nothing.
    const dropin = etc('virt-overhead-agent.service.d/timer.conf');
    rmSync(dropin);
    mkdirSync(dropin);
    try {
      const r = installBundle(work, root, ['--profile', 'quick']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/cannot write \/etc\/systemd\/system\/virt-overhead-agent.service.d\/timer.conf: it is a directory/);
      expect(r.stdout).not.toMatch(/agent installed/);
    } finally {
      rmSync(dropin, { recursive: true });
    }
    install(['--jitter', '30m']);
  });

  it('an interval that does not divide a day is refused in timer mode, before anything changed', () => {
    const before = readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8');
    const r = installBundle(work, root, ['--interval', '5h']);
    expect(r.status).toBe(1);
    expect(readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8')).toBe(before);
    expect(r.stderr).toMatch(/--interval 5h: in timer mode the interval must divide a day .* use --daemon/);
  });

  it('--daemon switches to the resident agent, a plain re-run keeps it, --timer switches back', () => {
    install(['--daemon']);
    expect(existsSync(etc('virt-overhead-agent.timer'))).toBe(false);
    expect(existsSync(etc('virt-overhead-agent.service.d/timer.conf'))).toBe(false);
    if (HAVE_SYSTEMCTL) {
      expect(linked('multi-user.target.wants/virt-overhead-agent.service')).toBe(true);
      expect(linked('timers.target.wants/virt-overhead-agent.timer')).toBe(false);
    }
    expect(install([])).toContain('nothing changed');
    install(['--timer']);
    expect(existsSync(etc('virt-overhead-agent.timer'))).toBe(true);
    if (HAVE_SYSTEMCTL) expect(linked('multi-user.target.wants/virt-overhead-agent.service')).toBe(false);
  });

  it('a token file others can read, or not owned by root, is warned about like ssh does', () => {
    const token = join(root, 'etc/virt-overhead/loose-token');
    writeFileSync(token, 'token-0123456789abcdef\n', { mode: 0o644 });
    chmodSync(token, 0o644);
    chownSync(token, 4242, 0);
    const out = install(['--token-file', '/etc/virt-overhead/loose-token']);
    expect(out).toMatch(/warning: --token-file \/etc\/virt-overhead\/loose-token has mode 644: other users can read the token; chmod 600/);
    expect(out).toMatch(/belongs to uid 4242, not root/);
    chmodSync(token, 0o600);
    chownSync(token, 0, 0);
    expect(install(['--token-file', '/etc/virt-overhead/loose-token'])).not.toMatch(/warning/);
    rmSync(token);
  });

  it('--uninstall leaves the root as it was', () => {
    install(['--uninstall']);
    expect(listing(root)).toEqual(pristine);
  });
});
