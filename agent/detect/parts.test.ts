// The CPUID/KVM helper run for real, container precedence on small temp roots, --declare parsing,
// and the CLI command.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCpuidText, signaturesOf } from './cpuid.js';
import { decideKvm } from './kvm.js';
import { detect, parseDeclared } from './index.js';
import { run } from '../../cli/commands/detect.js';

const tmp = mkdtempSync(join(tmpdir(), 'detect-parts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cpuid helper (built with cc, run on this machine)', () => {
  const helper = join(tmp, 'cpuid');
  execFileSync('sh', [fileURLToPath(new URL('./cpuid/build.sh', import.meta.url)), helper], { stdio: 'pipe' });

  it('reports the hypervisor bit /proc/cpuinfo reports, and parses', () => {
    const reading = parseCpuidText(execFileSync(helper, { encoding: 'utf8' }), helper);
    const cpuinfoSaysHypervisor = /^flags\s*:.*\bhypervisor\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
    expect(reading.hypervisorBit).toBe(cpuinfoSaysHypervisor);
    expect(reading.kvmProbeLines).toEqual([]);
    // every signature found sits on a 0x100 step of the hypervisor range
    for (const s of signaturesOf(reading)) expect((s.leaf - 0x40000000) % 0x100).toBe(0);
  });

  it('probing a device that is not KVM: opens, then the API version ioctl fails → unusable at level openable', () => {
    const reading = parseCpuidText(execFileSync(helper, ['--kvm-probe', '/dev/null'], { encoding: 'utf8' }), helper);
    expect(reading.kvmProbeLines[0]).toBe('kvm open ok');
    expect(reading.kvmProbeLines[1]).toMatch(/^kvm api_version fail 25 /); // ENOTTY
    const { kvm } = decideKvm({
      device: true,
      devicePath: '/dev/null',
      probeLines: reading.kvmProbeLines,
      probeSource: helper,
      nodeOpen: null,
      guestProbe: null,
      hardwareFlag: null,
    });
    expect(kvm).toMatchObject({ openable: true, verdict: 'unusable', level: 'openable' });
    expect(kvm.reason).toMatch(/KVM_GET_API_VERSION failed: Inappropriate ioctl/);
  });

  it('a missing device: open fails with ENOENT', () => {
    const out = execFileSync(helper, ['--kvm-probe', join(tmp, 'no-such-kvm')], { encoding: 'utf8' });
    expect(out).toMatch(/^kvm open fail 2 No such file or directory$/m);
  });

  it('live detect() without the helper says so and still decides', async () => {
    const d = await detect({ helperPath: join(tmp, 'not-built'), runSystemdDetectVirt: false });
    expect(d.evidence[0]!.signal).toBe('cpuid');
    expect(d.evidence[0]!.value).toMatch(/CPUID helper not built/);
    expect(d.cpuid_signatures).toEqual([]);
  });
});

function root(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, 'root-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('container precedence', () => {
  it.each([
    ['podman: /run/.containerenv and a libpod cgroup', { 'run/.containerenv': '', 'proc/1/cgroup': '0::/machine.slice/libpod-3f2a.scope\n' }, {}, 'podman'],
    ['docker: cgroup v1 path only', { 'proc/1/cgroup': '12:pids:/docker/9b1c0e\n' }, {}, 'docker'],
    ['lxc: pid 1 says container=lxc', { 'proc/1/environ': 'PATH=/bin\0container=lxc\0' }, {}, 'lxc'],
    ['$container outranks /.dockerenv', { '.dockerenv': '' }, { container: 'podman' }, 'podman'],
    ['WSL kernel name', { 'proc/sys/kernel/osrelease': '5.15.153.1-microsoft-standard-WSL2\n' }, {}, 'wsl'],
    ['kubernetes pod cgroup', { 'proc/1/cgroup': '0::/kubepods/besteffort/pod1/abc\n' }, {}, 'container-other'],
    ['nothing', { 'proc/1/cgroup': '0::/init.scope\n' }, {}, 'none'],
  ])('%s', async (_name, files, env, expected) => {
    const d = await detect({ root: root(files), env });
    expect(d.container).toBe(expected);
  });
});

describe('--declare', () => {
  it('parses KEY=VALUE, keeps "=" in values', () => {
    expect(parseDeclared(['nesting=L2 inside VMware', 'host=lab-7', 'note=a=b'])).toEqual({ nesting: 'L2 inside VMware', host: 'lab-7', note: 'a=b' });
  });
  it('rejects bad input with a clear message', () => {
    expect(() => parseDeclared(['nesting'])).toThrow(/expected KEY=VALUE/);
    expect(() => parseDeclared(['=x'])).toThrow(/expected KEY=VALUE/);
    expect(() => parseDeclared(['1x=y'])).toThrow(/must start with a letter/);
    expect(() => parseDeclared(['a=1', 'a=2'])).toThrow(/declared twice/);
  });
});

describe('virt-overhead detect', () => {
  async function capture(argv: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      return { code: await run(argv), out };
    } finally {
      spy.mockRestore();
    }
  }
  const fixture = fileURLToPath(new URL('../../test/fixtures/env/kvm-broken/', import.meta.url));

  it('--json on a fixture root prints the detection with the declared facts', async () => {
    const { code, out } = await capture(['--json', '--root', fixture, '--declare', 'nesting=L2', '--declare', 'host=gpu-1']);
    expect(code).toBe(0);
    const d = JSON.parse(out);
    expect(d.virt).toBe('kvm');
    expect(d.kvm.verdict).toBe('unusable');
    expect(d.declared).toEqual({ nesting: 'L2', host: 'gpu-1' });
  });

  it('without --json lists the evidence', async () => {
    const { out } = await capture(['--root', fixture]);
    expect(out).toMatch(/^virt: +kvm$/m);
    expect(out).toMatch(/evidence:/);
    expect(out).toMatch(/Hypervisor detected:.*KVM/);
  });

  it('a bad --declare is a usage error', async () => {
    await expect(run(['--declare', 'oops'])).rejects.toThrow(/expected KEY=VALUE/);
  });
});
