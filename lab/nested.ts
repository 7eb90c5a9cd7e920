// `lab --nested`: a chain of three layers on one machine. After the native baseline (L0,
// agent lab-native), each L1 guest runs its agent with --parent lab-native, then boots an L2
// TCG guest inside itself the way the lab boots L1 (QEMU, kernel and initramfs are all
// reachable through the shared 9p root; lab/nested-inner.ts) whose agent runs a short suite
// (quick cpu + memory) with --parent <L1>. The collector then has each layer against its
// parent and against the root (docs/overhead.md "Nested stacks").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../agent/sysbench/profiles.js';
import { GuestError, runInGuest } from './guest.js';
import type { KvmProbeResult } from './kvm-probe.js';
import { l1AgentId, l1Command, l2MemoryMiB, l2ProfileJson, l2TimeoutMs, L2_TESTS, parseL2Result } from './nested-plan.js';
import { guestTimeoutMs, scratchDiskMiB, type LabOutcome, type LabPlan, type QemuVariant, type RunOutcome } from './plan.js';
import { checkPlan } from './prepare.js';
import type { Accel } from './qemu-args.js';

/** Written where L1 and L2 see it (this machine's root is theirs, read-only). */
function writeL2Profile(p: LabPlan): string {
  mkdirSync(p.workDir, { recursive: true });
  const file = join(p.workDir, 'l2-profile.json');
  writeFileSync(file, l2ProfileJson());
  return file;
}

/** One chain: L1 (accel) with its L2 inside. Two outcomes: L1's and L2's. */
async function runChain(p: LabPlan, accel: Accel, q: QemuVariant, port: number, profile: Profile, cacheDir: string): Promise<RunOutcome[]> {
  const l1Name = `${accel}/${q.name}`;
  const l2Name = `${accel}/${q.name}/L2-tcg`;
  p.log(
    `lab: nested chain ${l1Name}: L1 ${accel} guest (${p.vcpus} vCPUs, ${p.memoryMiB} MiB) runs its suite, then boots an L2 TCG guest (${l2MemoryMiB(p.memoryMiB)} MiB) with ${L2_TESTS.join(' + ')}`,
  );
  try {
    const r = await runInGuest({
      command: l1Command(p, accel, q, cacheDir, writeL2Profile(p)),
      accel,
      qemuBinary: q.binary,
      vcpus: p.vcpus,
      memoryMiB: p.memoryMiB,
      scratchDiskMiB: scratchDiskMiB(profile),
      collectorPort: port,
      timeoutMs: (p.guestTimeoutMs ?? guestTimeoutMs(profile, p.trials)) + l2TimeoutMs(p.trials),
      hostname: l1AgentId(accel, q).slice(0, 63),
      cacheDir,
      onConsole: p.onConsole,
    });
    const l2 = parseL2Result(r.output);
    const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
    const l1Outcome: RunOutcome =
      r.exitCode === 0
        ? { name: l1Name, ok: true, detail: `all results acknowledged (L1 with L2 inside: ${secs(r.durationMs)})` }
        : { name: l1Name, ok: false, detail: `the agent in L1 exited with status ${r.exitCode}\n--- guest console (last lines) ---\n${r.consoleTail}\n---` };
    const l2Outcome: RunOutcome = l2
      ? { name: l2Name, ok: l2.ok, detail: `${l2.detail} (L2 boot + suite: ${secs(l2.durationMs)})` }
      : { name: l2Name, ok: false, detail: `L1 printed no L2 result\n--- L1 console (last lines) ---\n${r.consoleTail}\n---` };
    return [l1Outcome, l2Outcome];
  } catch (err) {
    const detail = err instanceof GuestError ? err.message : `guest could not run: ${(err as Error).message}`;
    return [
      { name: l1Name, ok: false, detail },
      { name: l2Name, ok: false, detail: 'not run: its L1 failed' },
    ];
  }
}

/** After the native baseline: one nested chain per usable accelerator and QEMU binary. */
export async function runNestedChains(p: LabPlan, probed: { accels: Accel[]; kvmProbe: KvmProbeResult | null }): Promise<LabOutcome> {
  const { profile, port, cacheDir } = checkPlan(p);
  const runs: RunOutcome[] = [];
  for (const accel of probed.accels) {
    for (const q of p.qemus) {
      for (const r of await runChain(p, accel, q, port, profile, cacheDir)) {
        runs.push(r);
        p.log(`lab: ${r.name}: ${r.ok ? 'ok' : 'FAILED'}: ${r.detail}`);
      }
    }
  }
  return { runs, kvmProbe: probed.kvmProbe };
}
