// Developer tool: boots one TCG guest and records real guest outputs as test fixtures:
// sysbench 1.0 output of the five tests (quick-profile options; fileio on the scratch disk)
// into test/fixtures/sysbench/qemu-tcg-<test>.txt, and the detection fixture tree
// (agent/detect/capture-fixture.sh) into test/fixtures/env/qemu-tcg-live/.
// Run after `npm run build`:  node dist/lab/capture-fixtures.js
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { runInGuest } from './guest.js';
import { GUEST_SCRATCH_DIR } from './qemu-args.js';

const TESTS: Record<string, string> = {
  cpu: 'sysbench cpu --threads=1 --time=2 --cpu-max-prime=2000 run',
  threads: 'sysbench threads --threads=500 --time=2 --thread-yields=100 --thread-locks=4 run',
  memory: 'sysbench memory --threads=1 --memory-block-size=8k --memory-total-size=1G run',
  mutex: 'sysbench mutex --threads=4 --mutex-num=2000 --mutex-locks=10000 --mutex-loops=5000 run',
  fileio: `cd ${GUEST_SCRATCH_DIR} && sysbench fileio --threads=16 --file-total-size=128M --file-test-mode=rndrw prepare >/dev/null && sysbench fileio --threads=20 --time=2 --file-total-size=128M --file-test-mode=rndrw run; sysbench fileio --file-total-size=128M cleanup >/dev/null`,
};

/** Shell text that prints each block between BEGIN/END lines the host splits on. */
export function captureCommand(root: string): string {
  const parts = Object.entries(TESTS).map(([name, cmd]) => `echo "@@BEGIN ${name}"; ( ${cmd} ) 2>&1; echo "@@END ${name}"`);
  parts.push(
    `rm -rf /tmp/envcap && sh ${root}/agent/detect/capture-fixture.sh /tmp/envcap >/dev/null 2>&1; echo "@@BEGIN env"; tar -C /tmp/envcap -czf - . | base64; echo "@@END env"`,
  );
  return parts.join('\n');
}

export function splitBlocks(output: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const re = /^@@BEGIN (\S+)\n([\s\S]*?)^@@END \1$/gm;
  for (const m of output.matchAll(re)) blocks.set(m[1]!, m[2]!);
  return blocks;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const r = await runInGuest({
    command: captureCommand(root),
    accel: 'tcg',
    vcpus: 2,
    memoryMiB: 2048,
    scratchDiskMiB: 512,
    timeoutMs: 15 * 60_000,
    log: (l) => process.stderr.write(l + '\n'),
  });
  if (r.exitCode !== 0) throw new Error(`capture command failed (${r.exitCode}):\n${r.consoleTail}`);
  const blocks = splitBlocks(r.output);
  for (const name of Object.keys(TESTS)) {
    const text = blocks.get(name);
    if (!text) throw new Error(`no ${name} block in the guest output`);
    writeFileSync(join(root, 'test', 'fixtures', 'sysbench', `qemu-tcg-${name}.txt`), text);
  }
  const env = blocks.get('env');
  if (!env) throw new Error('no env block in the guest output');
  const dest = join(root, 'test', 'fixtures', 'env', 'qemu-tcg-live');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-C', dest, '-xzf', '-'], { input: Buffer.from(env.replace(/\s+/g, ''), 'base64') });
  process.stderr.write(`captured into test/fixtures/sysbench/qemu-tcg-*.txt and ${dest}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
