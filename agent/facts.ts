// Host facts for the hello: what the machine is, as the OS reports it.
import { arch, cpus, release, totalmem } from 'node:os';
import si from 'systeminformation';
import type { HostFacts } from '../proto/index.js';
import { fitText, WIRE_BOUNDS } from '../schema/bounds.js';

/** Facts are read from the machine, not chosen: made to fit the collector's bounds instead of getting the hello refused. */
const fit = (field: 'os' | 'kernel' | 'arch' | 'cpu_model', value: string): string => fitText(value, WIRE_BOUNDS.HostFacts[field].maxBytes);

export async function hostFacts(): Promise<HostFacts> {
  // systeminformation reads /etc/os-release and /proc/cpuinfo; fall back to node:os on any error.
  const [osInfo, cpu] = await Promise.all([si.osInfo().catch(() => null), si.cpu().catch(() => null)]);
  return {
    os: fit('os', osInfo ? `${osInfo.distro} ${osInfo.release}`.trim() : process.platform),
    kernel: fit('kernel', osInfo?.kernel || release()),
    arch: fit('arch', arch()),
    cpu_model: fit('cpu_model', cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : (cpus()[0]?.model ?? '')),
    cpus: Math.min(cpus().length, WIRE_BOUNDS.HostFacts.cpus.max),
    memory_bytes: String(totalmem()),
  };
}
