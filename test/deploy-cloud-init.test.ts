// The cloud-init sample as written (issue 24 item 3): its user-data filled in as an operator's
// templating would (lab/cloud-init.ts, only the @VO_...@ values), its write_files written into a
// fresh root the way cloud-init writes them, and its first-boot script run against that root
// (VIRT_OVERHEAD_INSTALL_ROOT): the real installer installs from a real release folder. cloud-init
// itself runs in the real-guest test (lab/debian-guest.test.ts); here only what it would write.
// Also the installer's warnings about option pairs the agent refuses, checked against the agent.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_INIT_SAMPLE, fillCloudInit, placeholders, type CloudInitValues } from '../lab/cloud-init.js';
import { packageRoot } from '../lib/root.js';
import { agentFilesDir, freshRoot } from './support/install-root.js';
import { runCli } from './support/cli.js';

const SAMPLE = readFileSync(CLOUD_INIT_SAMPLE, 'utf8');
const FIRSTBOOT = '/usr/local/sbin/virt-overhead-firstboot';
const dir = mkdtempSync(join(tmpdir(), 'vo-cloud-init-'));
let release: string;
let n = 0;

const CA = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUQ2xvdWQtaW5pdCB0ZXN0IGNhIG9ubHk=
-----END CERTIFICATE-----`;
const VALUES: CloudInitValues = {
  collector: 'collector.example:50051',
  agentId: 'guest-7',
  group: 'rack7',
  variant: 'kvm-virtio',
  token: 'vo1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  caPem: CA,
};

interface WriteFile {
  path: string;
  permissions: string;
  content: string;
}

/** What cloud-init's write_files makes of the user-data, in a fresh root that holds the release folder. */
function bootRoot(userData: string): string {
  const root = freshRoot(join(dir, `root-${++n}`));
  for (const f of (parseYaml(userData) as { write_files: WriteFile[] }).write_files) {
    mkdirSync(join(root, dirname(f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
    chmodSync(join(root, f.path), parseInt(f.permissions, 8));
  }
  cpSync(release, join(root, 'srv/virt-overhead'), { recursive: true });
  return root;
}

/** runcmd's first-boot script, run on that root (arguments go on to the installer). */
function firstBoot(root: string, ...args: string[]) {
  return spawnSync('sh', [join(root, FIRSTBOOT), ...args], { encoding: 'utf8', env: { ...process.env, VIRT_OVERHEAD_INSTALL_ROOT: root } });
}

beforeAll(() => {
  // A release folder as docs/install.md describes it: the .mjs (no agent file: this test installs
  // no 98 MiB binary), its .sha256, install-agent.sh and systemd/.
  release = agentFilesDir('vo-cloud-init-rel-', { arches: ['none'] });
  cpSync(join(packageRoot(), 'deploy/install-agent.sh'), join(release, 'install-agent.sh'));
  cpSync(join(packageRoot(), 'deploy/systemd'), join(release, 'systemd'), { recursive: true });
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (release) rmSync(release, { recursive: true, force: true });
});

describe('deploy/cloud-init/agent.yaml as written', () => {
  it('is #cloud-config whose per-guest values are placeholders, its first boot one runcmd', () => {
    expect(SAMPLE.startsWith('#cloud-config\n')).toBe(true);
    expect(placeholders(SAMPLE)).toEqual(['@VO_AGENT_ID@', '@VO_CA_PEM@', '@VO_COLLECTOR@', '@VO_GROUP@', '@VO_TOKEN@', '@VO_VARIANT@']);
    const data = parseYaml(SAMPLE) as { write_files: WriteFile[]; runcmd: string[][] };
    expect(data.runcmd).toEqual([[FIRSTBOOT]]);
    expect(data.write_files.find((f) => f.path === '/etc/virt-overhead/token')?.permissions).toBe('0600');
    const script = data.write_files.find((f) => f.path === FIRSTBOOT)!;
    expect(script.permissions).toBe('0755');
    writeFileSync(join(dir, 'firstboot.sh'), script.content);
    expect(spawnSync('sh', ['-n', join(dir, 'firstboot.sh')]).status).toBe(0);
  });

  it('filled in with TLS: the installer puts the agent, its id, token, CA and timer in place, and warns about nothing', () => {
    const root = bootRoot(fillCloudInit(VALUES));
    const r = firstBoot(root, '--skip-sysbench', '--no-enable');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).not.toMatch(/warning/);
    const conf = readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8');
    for (const line of [
      'collector: "collector.example:50051"',
      'agent_id: "guest-7"',
      'group: "rack7"',
      'role: "guest"',
      'variant: "kvm-virtio"',
      'interval: "6h"',
      'token_file: "/etc/virt-overhead/token"',
      'tls_ca: "/etc/virt-overhead/ca.pem"',
    ])
      expect(conf).toContain(line);
    expect(conf).not.toContain('allow_plaintext');
    expect(readFileSync(join(root, 'etc/virt-overhead/token'), 'utf8').trim()).toBe(VALUES.token);
    expect(readFileSync(join(root, 'etc/virt-overhead/ca.pem'), 'utf8').trim()).toBe(CA);
    expect(existsSync(join(root, 'etc/systemd/system/virt-overhead-agent.timer'))).toBe(true);
    expect(readFileSync(join(root, 'opt/virt-overhead/bin/virt-overhead'), 'utf8')).toContain('virt-overhead-agent.mjs');
    // A second first boot (cloud-init re-run) changes nothing.
    const again = firstBoot(root, '--skip-sysbench', '--no-enable');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/^wrote /m);
  }, 120_000);

  it('filled in for a lab network: --allow-plaintext, no CA written', () => {
    const userData = fillCloudInit({ ...VALUES, caPem: undefined });
    expect(userData).not.toContain('ca.pem\n    permissions');
    const root = bootRoot(userData);
    expect(existsSync(join(root, 'etc/virt-overhead/ca.pem'))).toBe(false);
    const r = firstBoot(root, '--skip-sysbench', '--no-enable');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).not.toMatch(/warning/);
    const conf = readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8');
    expect(conf).toContain('allow_plaintext: true');
    expect(conf).not.toContain('tls_ca');
  }, 120_000);

  it('bad input: a placeholder left in stops the first boot, naming it, and installs nothing', () => {
    const none = bootRoot(SAMPLE);
    const r = firstBoot(none);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'virt-overhead-firstboot: the user-data still holds the placeholder @VO_AGENT_ID@ @VO_COLLECTOR@ @VO_GROUP@ @VO_VARIANT@ in /etc/virt-overhead/firstboot.env: fill in every @VO_...@ value (docs/install.md); nothing was installed\n',
    );
    expect(existsSync(join(none, 'opt/virt-overhead'))).toBe(false);
    // Everything but the token filled in.
    const token = bootRoot(fillCloudInit(VALUES).replace(VALUES.token, '@VO_TOKEN@'));
    const t = firstBoot(token);
    expect([t.status, t.stderr]).toEqual([1, expect.stringContaining('still holds the placeholder @VO_TOKEN@ in /etc/virt-overhead/token')]);
    expect(existsSync(join(token, 'opt/virt-overhead'))).toBe(false);
    // The CA left out while TLS is on.
    const ca = bootRoot(fillCloudInit(VALUES).replace(/^( *)-----BEGIN CERTIFICATE-----\n(?:.*\n)*?\1-----END CERTIFICATE-----\n/m, '$1@VO_CA_PEM@\n'));
    const c = firstBoot(ca);
    expect([c.status, c.stderr]).toEqual([1, expect.stringContaining('still holds the placeholder @VO_CA_PEM@ in /etc/virt-overhead/ca.pem')]);
    expect(existsSync(join(ca, 'opt/virt-overhead'))).toBe(false);
  });
});

describe('install-agent.sh warns about option pairs the agent refuses (on --dry-run too)', () => {
  const installer = join(packageRoot(), 'deploy/install-agent.sh');
  const dryRun = (...args: string[]) =>
    spawnSync('sh', [installer, '--dry-run', '--root', freshRoot(join(dir, `dry-${++n}`)), '--skip-sysbench', '--no-enable', '--from', release, ...args], {
      encoding: 'utf8',
    });
  const REFUSES = 'warning: the agent will refuse to run with these settings (each run would exit 2 and measure nothing):';

  it("the old sample's options (a plain-text collector on another machine) are warned about, and the agent does refuse them", async () => {
    const r = dryRun('--collector', '10.0.2.2:50051', '--token', 'x');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${REFUSES} --collector 10.0.2.2:50051 is not on this machine and no --tls-ca is given`);
    expect(r.stdout).toContain('--allow-plaintext on a network you trust');
    const agent = await runCli(['agent', '--collector', '10.0.2.2:50051', '--once', '--workdir', join(dir, 'refused')]);
    expect([agent.code, agent.stderr]).toEqual([2, expect.stringContaining('refusing to send results in plain text to 10.0.2.2:50051')]);
    // The two ways out: neither warns.
    expect(dryRun('--collector', '10.0.2.2:50051', '--allow-plaintext').stdout).not.toContain('warning');
    expect(dryRun('--collector', '127.0.0.1:50051').stdout).not.toContain('warning');
  }, 60_000);

  it('--tls-cert without --tls-key (and the reverse), a TLS file that is not there; notes for options with no effect', async () => {
    const root = freshRoot(join(dir, 'tls-root'));
    mkdirSync(join(root, 'etc/pki'), { recursive: true });
    writeFileSync(join(root, 'etc/pki/ca.pem'), CA);
    writeFileSync(join(root, 'etc/pki/agent.pem'), CA);
    const run = (...args: string[]) =>
      spawnSync('sh', [installer, '--dry-run', '--root', root, '--skip-sysbench', '--no-enable', '--from', release, '--collector', 'c.example:1', ...args], {
        encoding: 'utf8',
      }).stdout;
    expect(run('--tls-ca', '/etc/pki/ca.pem', '--tls-cert', '/etc/pki/agent.pem')).toContain(
      `${REFUSES} --tls-cert without --tls-key: give both (mutual TLS) or neither`,
    );
    expect(run('--tls-key', '/etc/pki/agent.pem')).toContain(`${REFUSES} --tls-key without --tls-cert`);
    expect(run('--tls-ca', '/etc/pki/missing.pem')).toContain(`${REFUSES} /etc/pki/missing.pem (a --tls-* file) does not exist in ${root}`);
    expect(run('--tls-ca', '/etc/pki/ca.pem')).not.toMatch(/warning|note: --/);
    expect(run('--tls-ca', '/etc/pki/ca.pem', '--allow-plaintext')).toContain('note: --allow-plaintext has no effect');
    expect(run('--allow-plaintext', '--tls-server-name', 'c')).toContain('note: --tls-server-name has no effect without --tls-ca');
    // The agent agrees about the pair.
    const agent = await runCli(['agent', '--collector', 'c.example:1', '--tls-cert', join(root, 'etc/pki/agent.pem'), '--once', '--workdir', join(dir, 'w2')]);
    expect([agent.code, agent.stderr]).toEqual([2, expect.stringContaining('--tls-cert and --tls-key go together')]);
  }, 60_000);
});
