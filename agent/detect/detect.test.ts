// One test per environment: each fixture root under test/fixtures/env/ is a captured (or, where
// we have no such machine, assembled from published strings — see each README) /proc, /sys,
// /dev subset plus the CPUID helper's output. Expected answers are written by hand.
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detect, PVM_MEANING, type Detection } from './index.js';
import { formatDetection } from './format.js';

const env = (name: string) => fileURLToPath(new URL(`../../test/fixtures/env/${name}/`, import.meta.url));
const says = (d: Detection, signal: RegExp) => d.evidence.filter((e) => signal.test(e.signal)).map((e) => e.says);

describe('detect on fixture roots', () => {
  it('this machine: docker in a PVM guest whose CPUID says bhyve; both VM signals reported; KVM absent', async () => {
    const d = await detect({ root: env('this-machine') });
    expect(d.virt).toBe('pvm');
    expect(d.container).toBe('docker');
    expect(d.cpuid_signatures).toEqual(['bhyve bhyve ']);
    expect(d.kvm.verdict).toBe('absent');
    expect(d.kvm.device).toBe(false);
    expect(d.virt_candidates.map((c) => c.virt)).toEqual(['pvm', 'bhyve', 'kvm']);
    expect(d.virt_candidates[1]!.signals).toEqual(['cpuid 0x40000000', 'systemd-detect-virt']);
    expect(says(d, /^rule$/)).toEqual(['virt pvm', 'container docker']);
    expect(d.evidence.find((e) => e.signal === 'rule')!.value).toMatch(/PVM.*no CPUID signature names.*bhyve/);
  });

  it("this machine with PVM's KVM built in but no /dev/kvm in the container: absent, and the reason names kvm_pvm", async () => {
    const d = await detect({ root: env('this-machine-kvm-pvm') });
    expect([d.virt, d.container]).toEqual(['pvm', 'docker']);
    expect(d.kvm).toMatchObject({ device: false, verdict: 'absent', level: 'none', provider: 'kvm_pvm' });
    expect(d.kvm.reason).toMatch(/^no .*dev\/kvm; the kernel has kvm_pvm \(PVM's KVM\) but no \/dev\/kvm is here/);
    expect(d.evidence).toContainEqual({ signal: 'kernel modules', value: 'kvm_pvm', says: 'kvm by PVM (PVM guest kernels only)' });
  });

  it('a /dev/kvm served by kvm_pvm: a vCPU ran, verdict unknown, and the reason says only a PVM guest kernel boots', async () => {
    const d = await detect({ root: env('pvm-kvm-device') });
    expect(d.kvm).toMatchObject({ device: true, openable: true, verdict: 'unknown', level: 'vcpu-ran', provider: 'kvm_pvm' });
    expect(d.kvm.reason).toContain("reached level 'vcpu-ran'");
    expect(d.kvm.reason).toContain(PVM_MEANING);
    expect(formatDetection(d)).toMatch(/^kvm: +unknown \(level vcpu-ran, by kvm_pvm\) — .*only a guest kernel built with PVM support boots/m);
    // The stock-kernel boot that failed here: unusable, and still why.
    const root = mkdtempSync(join(tmpdir(), 'kvm-pvm-'));
    try {
      cpSync(env('pvm-kvm-device'), root, { recursive: true });
      writeFileSync(join(root, 'kvm-guest-probe.json'), JSON.stringify({ ranGuest: false, detail: 'qemu-system-x86_64: failed to set MSR 0x10a' }));
      const failed = await detect({ root });
      expect(failed.kvm).toMatchObject({ verdict: 'unusable', level: 'vcpu-ran', provider: 'kvm_pvm' });
      expect(failed.kvm.reason).toMatch(/a guest boot with KVM failed: .*MSR 0x10a; kvm_pvm serves KVM here/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('Intel and AMD modules are named without the PVM sentence; /proc/modules counts as well as /sys/module', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvm-intel-'));
    try {
      cpSync(env('pvm-kvm-device'), root, { recursive: true });
      rmSync(join(root, 'sys/module'), { recursive: true });
      writeFileSync(join(root, 'proc/modules'), 'kvm_intel 401408 0 - Live 0x0000000000000000\nkvm 1327104 1 kvm_intel, Live 0x0000000000000000\n');
      const d = await detect({ root });
      expect(d.kvm.provider).toBe('kvm_intel');
      expect(d.kvm.reason).not.toMatch(/PVM/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('QEMU TCG guest: TCG signature, svm flag without /dev/kvm → qemu-tcg, KVM absent', async () => {
    const d = await detect({ root: env('qemu-tcg') });
    expect(d.virt).toBe('qemu-tcg');
    expect(d.container).toBe('none');
    expect(d.cpuid_signatures).toEqual(['TCGTCGTCGTCG']);
    expect(d.kvm.verdict).toBe('absent');
    expect(d.kvm.reason).toMatch(/svm/);
    expect(d.nested.hardware_virt_flag).toBe('svm');
    // DMI QEMU alone names the machine, not the accelerator
    expect(says(d, /^dmi sys_vendor$/)).toEqual(['a QEMU machine (TCG or KVM)']);
  });

  it('KVM guest whose /dev/kvm opens and creates VMs but cannot boot a guest → kvm, unusable', async () => {
    const d = await detect({ root: env('kvm-broken') });
    expect(d.virt).toBe('kvm');
    expect(d.cpuid_signatures).toEqual(['KVMKVMKVM']);
    expect(d.kvm).toMatchObject({ device: true, openable: true, verdict: 'unusable', level: 'vm-created' });
    expect(d.kvm.steps).toEqual({ api_version: 12, vm_created: true, vcpu_created: true, vcpu_ran: null, guest_ran: false });
    expect(d.kvm.reason).toMatch(/emulation failure/);
  });

  it('same KVM guest without a probe boot: never usable, only unknown; a boot that ran makes it usable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvm-no-probe-'));
    try {
      cpSync(env('kvm-broken'), root, { recursive: true });
      rmSync(join(root, 'kvm-guest-probe.json'));
      const d = await detect({ root });
      expect(d.kvm).toMatchObject({ verdict: 'unknown', level: 'vm-created' });
      const ran = await detect({ root, kvmProbe: { ranGuest: true, detail: 'lab boot ok' } });
      expect(ran.kvm).toMatchObject({ verdict: 'usable', level: 'guest-ran' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('KVM with Hyper-V enlightenments (Microsoft Hv at 0x40000000, KVMKVMKVM at 0x40000100) → kvm', async () => {
    const d = await detect({ root: env('kvm-hyperv') });
    expect(d.virt).toBe('kvm');
    expect(d.cpuid_signatures).toEqual(['Microsoft Hv', 'KVMKVMKVM']);
    expect(d.evidence.find((e) => e.signal === 'rule')!.value).toMatch(/enlightenments/);
    expect(d.kvm.verdict).toBe('absent');
  });

  it('VMware', async () => {
    const d = await detect({ root: env('vmware') });
    expect([d.virt, d.container, d.kvm.verdict]).toEqual(['vmware', 'none', 'absent']);
    expect(d.cpuid_signatures).toEqual(['VMwareVMware']);
    expect(says(d, /^dmi (sys_vendor|product_name)$/)).toEqual(['virt vmware', 'virt vmware']);
  });

  it('Hyper-V', async () => {
    const d = await detect({ root: env('hyperv') });
    expect([d.virt, d.kvm.verdict]).toEqual(['hyperv', 'absent']);
    expect(d.cpuid_signatures).toEqual(['Microsoft Hv']);
  });

  it('Xen HVM', async () => {
    const d = await detect({ root: env('xen') });
    expect(d.virt).toBe('xen');
    expect(d.virt_candidates[0]!.signals).toEqual(expect.arrayContaining(['cpuid 0x40000000', '/sys/hypervisor/type', '/proc/xen', 'clocksource']));
  });

  it('VirtualBox offering the KVM interface: DMI outranks the KVMKVMKVM signature', async () => {
    const d = await detect({ root: env('virtualbox') });
    expect(d.virt).toBe('virtualbox');
    expect(d.cpuid_signatures).toEqual(['KVMKVMKVM']);
    expect(d.virt_candidates.map((c) => c.virt)).toEqual(['virtualbox', 'kvm']);
  });

  it('bare metal: no hypervisor bit (leaf noise ignored), vmx, a probe boot that ran → none, KVM usable', async () => {
    const d = await detect({ root: env('bare-metal') });
    expect(d.virt).toBe('none');
    expect(d.cpuid_signatures).toEqual([]);
    expect(d.nested).toEqual({ min_depth: 0, hardware_virt_flag: 'vmx', declared: null });
    expect(d.kvm).toMatchObject({ verdict: 'usable', level: 'guest-ran', openable: true });
    expect(d.kvm.steps.vcpu_ran).toBe(true);
  });

  it('bare metal without the probe boot: KVM stops at vcpu-ran, verdict unknown', async () => {
    // kvmProbe overrides the fixture's recorded boot: a failed boot
    const failed = await detect({ root: env('bare-metal'), kvmProbe: { ranGuest: false, detail: 'boot timed out' } });
    expect(failed.kvm).toMatchObject({ verdict: 'unusable', level: 'vcpu-ran' });
  });

  it('declared facts are recorded beside detection and never overwrite it', async () => {
    const d = await detect({ root: env('qemu-tcg'), declared: { nesting: 'L2 inside VMware', virt: 'vmware', host: 'lab-7' } });
    expect(d.virt).toBe('qemu-tcg');
    expect(d.declared).toEqual({ nesting: 'L2 inside VMware', virt: 'vmware', host: 'lab-7' });
    expect(d.nested.declared).toBe('L2 inside VMware');
  });

  it('missing CPUID reading: says so and decides from other signals', async () => {
    const d = await detect({ root: env('vmware'), cpuid: async () => ({ missing: 'helper not built' }) });
    expect(d.virt).toBe('vmware');
    expect(d.cpuid_signatures).toEqual([]);
    expect(d.evidence[0]).toEqual({ signal: 'cpuid', value: 'helper not built', says: 'no CPUID reading; deciding from the other signals' });
  });
});

describe('detect when this process may not open /dev/kvm', () => {
  // EACCES/EPERM say nothing about KVM, only about us: the verdict stays unknown with the reason.
  for (const [errno, message] of [
    [13, 'Permission denied'],
    [1, 'Operation not permitted'],
  ] as const) {
    it(`open failing with errno ${errno} (${message}) → unknown, not unusable`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'kvm-denied-'));
      try {
        cpSync(env('kvm-broken'), root, { recursive: true });
        rmSync(join(root, 'kvm-guest-probe.json'));
        writeFileSync(join(root, 'kvm-probe.txt'), `kvm open fail ${errno} ${message}\n`);
        const d = await detect({ root });
        expect(d.kvm).toMatchObject({ device: true, openable: false, verdict: 'unknown', level: 'device' });
        expect(d.kvm.reason).toContain(`may not open ${join(root, 'dev/kvm')} (${message})`);
        expect(says(d, /open O_RDWR/)).toEqual(['kvm not tried (permission)']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it('any other open failure (ENXIO: no KVM module behind the node) is still unusable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvm-enxio-'));
    try {
      cpSync(env('kvm-broken'), root, { recursive: true });
      rmSync(join(root, 'kvm-guest-probe.json'));
      writeFileSync(join(root, 'kvm-probe.txt'), 'kvm open fail 6 No such device or address\n');
      const d = await detect({ root });
      expect(d.kvm).toMatchObject({ openable: false, verdict: 'unusable' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
