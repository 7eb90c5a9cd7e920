// Host facts for the hello: what the machine is, as the OS reports it.
import { arch, cpus, release, totalmem } from 'node:os';
import si from 'systeminformation';
import type { HostFacts } from '../proto/index.js';

export async function hostFacts(): Promise<HostFacts> {
  // systeminformation reads /etc/os-release and /proc/cpuinfo; fall back to node:os on any error.
  const [osInfo, cpu] = await Promise.all([si.osInfo().catch(() => null), si.cpu().catch(() => null)]);
  return {
    os: osInfo ? `${osInfo.distro} ${osInfo.release}`.trim() : process.platform,
    kernel: osInfo?.kernel || release(),
    arch: arch(),
    cpu_model: cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : (cpus()[0]?.model ?? ''),
    cpus: cpus().length,
    memory_bytes: String(totalmem()),
  };
}
