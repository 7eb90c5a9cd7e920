// Runs INSIDE an L1 lab guest: boots the L2 guest the same way the lab boots L1 (QEMU, the
// kernel and the initramfs are all reachable through the shared 9p root) and prints one
// result line the outer lab reads from L1's console. Its forward relays to L1's own forward
// (10.0.2.100:50051), so L2's agent reaches the same collector on L0's loopback.
//   node dist/lab/nested-inner.js '<json NestedInnerSpec>'
import { GuestError, runInGuest } from './guest.js';
import { L2_RESULT_MARK, type L2Result, type NestedInnerSpec } from './nested-plan.js';
import { GUEST_COLLECTOR_IP, GUEST_COLLECTOR_PORT } from './qemu-args.js';

async function main(): Promise<number> {
  const spec = JSON.parse(process.argv[2] ?? '') as NestedInnerSpec;
  const started = Date.now();
  let result: L2Result;
  try {
    const r = await runInGuest({
      command: spec.command,
      accel: 'tcg', // L1 offers no usable KVM to its own guests; detection in L2 must say qemu-tcg
      qemuBinary: spec.qemuBinary,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      scratchDiskMiB: spec.scratchDiskMiB,
      collectorPort: GUEST_COLLECTOR_PORT,
      collectorHost: GUEST_COLLECTOR_IP,
      // Under TCG inside TCG the kernel's IO-APIC timer check times out and panics ("IO-APIC +
      // timer doesn't work"); the check is only a sanity test, the timer itself works.
      append: ['no_timer_check'],
      timeoutMs: spec.timeoutMs,
      hostname: spec.hostname,
      cacheDir: spec.cacheDir,
      onConsole: (l) => process.stdout.write(`[L2] ${l}\n`),
    });
    result = {
      ok: r.exitCode === 0,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      detail: r.exitCode === 0 ? 'all results acknowledged' : `the agent in L2 exited with status ${r.exitCode}`,
    };
  } catch (err) {
    const e = err as Error;
    result = {
      ok: false,
      exitCode: null,
      durationMs: Date.now() - started,
      detail: (err instanceof GuestError ? e.message : `L2 could not run: ${e.message}`).split('\n')[0]!,
    };
  }
  process.stdout.write(`${L2_RESULT_MARK} ${JSON.stringify(result)}\n`);
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stdout.write(`${L2_RESULT_MARK} ${JSON.stringify({ ok: false, exitCode: null, durationMs: 0, detail: `L2 launcher failed: ${err.message}` })}\n`);
      process.exit(1);
    },
  );
}
