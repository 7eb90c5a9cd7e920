// Whether KVM can really run a guest here. A present, openable /dev/kvm is not enough (on
// nested clouds `-accel kvm` fails with "emulation failure"), so the only proof is a tiny
// guest that boots with -accel kvm and prints its exit marker. Detection takes the result
// as its `kvmProbe` option.
import { accessSync, constants, existsSync } from 'node:fs';
import { GuestError, runInGuest } from './guest.js';
import type { LabKernel } from './kernel.js';
import { kvmProviderOf, type KvmProbeResult } from '../agent/detect/index.js';

export type { KvmProbeResult };

export async function probeKvm(o: {
  qemuBinary?: string;
  kernel?: LabKernel;
  cacheDir?: string;
  timeoutMs?: number;
  device?: string;
  /** Where the kernel's modules are read (/proc/modules, /sys/module): '/' except in tests. */
  root?: string;
}): Promise<KvmProbeResult> {
  const result = await bootProbe(o);
  // One line that also names PVM: with kvm_pvm a stock guest kernel aborts, and that is why.
  return result.ranGuest ? result : { ...result, detail: result.detail + kvmProviderOf(o.root ?? '/', existsSync(o.device ?? '/dev/kvm')).note };
}

async function bootProbe(o: Parameters<typeof probeKvm>[0]): Promise<KvmProbeResult> {
  const device = o.device ?? '/dev/kvm';
  if (!existsSync(device)) return { ranGuest: false, detail: `${device} is absent: this machine offers no KVM` };
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch (err) {
    return { ranGuest: false, detail: `${device} exists but cannot be opened read-write: ${(err as Error).message}` };
  }
  try {
    const r = await runInGuest({
      command: 'echo kvm-probe-ok',
      accel: 'kvm',
      qemuBinary: o.qemuBinary,
      vcpus: 1,
      memoryMiB: 512,
      scratchDiskMiB: 0,
      timeoutMs: o.timeoutMs ?? 60_000,
      hostname: 'lab-kvm-probe',
      kernel: o.kernel,
      cacheDir: o.cacheDir,
    });
    if (r.exitCode === 0 && r.output.includes('kvm-probe-ok'))
      return { ranGuest: true, detail: `a KVM guest booted and ran a command in ${(r.durationMs / 1000).toFixed(1)} s` };
    return { ranGuest: false, detail: `the KVM probe guest ran but its command exited ${r.exitCode}` };
  } catch (err) {
    const msg = err instanceof GuestError ? err.message.split('\n')[0]! : (err as Error).message;
    const tail = err instanceof GuestError ? err.consoleTail.split('\n').filter(Boolean).slice(-3).join(' | ') : '';
    return { ranGuest: false, detail: `${device} opens, but a guest with -accel kvm could not run: ${msg}${tail ? ` (${tail})` : ''}` };
  }
}
