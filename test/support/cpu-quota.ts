// A CPU quota for a process we start: a cgroup v1 `cpu` group (cfs_quota_us / cfs_period_us)
// under /sys/fs/cgroup/cpu, or the v2 `cpu.max` file where the v2 controller is delegated.
// The quota caps the CPU time of everything in the group, so a CPU-bound sysbench inside it runs
// at (quota / period) of a core whatever else the machine runs — as long as the machine gives it
// that much, which is why the calibration and the tests use small quotas (a few % of a core).
// Tests and benchmarks only: production code never touches cgroups.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

export interface CpuQuota {
  /** The group's directory; `sh -c 'echo $$ > DIR/cgroup.procs; exec …'` starts a process inside it. */
  dir: string;
  /** Sets the quota in CPUs (0.05 = 5 % of one core). */
  set(cpus: number): void;
  /** The argv prefix that runs a command inside the group. */
  wrap(argv: readonly string[]): string[];
  /** Removes the group (its processes must have exited). */
  remove(): void;
}

/** Whether we may create groups under `dir`: make and remove an empty one. */
function canCreate(dir: string): boolean {
  const probe = join(dir, `vo-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** Why no quota can be set here, or null when one can. */
export function cpuQuotaUnavailable(): string | null {
  if (existsSync(join(V1, 'cpu.cfs_quota_us'))) return canCreate(V1) ? null : `${V1} is not writable (needs root and a writable cgroup v1 cpu controller)`;
  if (existsSync(join(V2, 'cgroup.controllers')) && readFileSync(join(V2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu'))
    return canCreate(V2) ? null : `${V2} (cgroup v2): cannot create a group with the cpu controller`;
  return 'no cgroup cpu controller (neither v1 /sys/fs/cgroup/cpu nor v2 cpu.max)';
}

/** A fresh group named `name` (unique per caller: pid and a counter are appended). */
export function createCpuQuota(name: string): CpuQuota {
  const why = cpuQuotaUnavailable();
  if (why) throw new Error(`cpu quota: ${why}`);
  const v1 = existsSync(join(V1, 'cpu.cfs_quota_us'));
  const dir = join(v1 ? V1 : V2, `${name}-${process.pid}-${(seq += 1)}`);
  mkdirSync(dir);
  if (v1) writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
  return {
    dir,
    set(cpus: number) {
      if (!(cpus > 0) || !Number.isFinite(cpus)) throw new Error(`cpu quota: ${cpus} is not a positive number of CPUs`);
      const quota = Math.max(1000, Math.round(cpus * PERIOD_US));
      if (v1) writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
      else writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    },
    wrap: (argv) => ['/bin/sh', '-c', `echo $$ > '${dir}/cgroup.procs' && exec "$@"`, 'sh', ...argv],
    remove() {
      if (existsSync(dir)) rmdirSync(dir);
    },
  };
}
let seq = 0;
