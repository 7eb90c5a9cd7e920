// Before anything is measured: the plan checked, the guest kernel fetched and the initramfs
// built, so set-up time is not in a guest's run.
import type { Profile } from '../agent/sysbench/profiles.js';
import { defaultCacheDir } from './guest.js';
import { ensureBaseInitramfs } from './initramfs.js';
import { ensureKernel, type LabKernel } from './kernel.js';
import { checkLabChoices, parseLoopbackCollector, type LabPlan } from './plan.js';

export function checkPlan(p: LabPlan): { profile: Profile; port: number; cacheDir: string; kernel: LabKernel } {
  const profile = checkLabChoices(p);
  const { port } = parseLoopbackCollector(p.collector);
  const cacheDir = p.cacheDir ?? defaultCacheDir();
  const kernel = ensureKernel({ cacheDir, log: p.log });
  ensureBaseInitramfs({ kernel, cacheDir });
  return { profile, port, cacheDir, kernel };
}
