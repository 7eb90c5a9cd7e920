// Agent footprint while idle between scheduled runs: the real agent runs the cpu test once
// (quick profile), schedules the next run an hour away, and is then sampled from /proc for a
// minute: VmRSS every second, utime+stime at both ends. Its status heartbeats (every 30 s)
// and gRPC keepalives fall inside the window, as they would in production.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../collector/stack.js';
import { startAgent } from './agent-process.js';
import { cpuMs, rssBytes } from './proc.js';
import { median, sig } from './stats.js';
import type { BenchSection } from './types.js';

export interface FootprintFigures {
  seconds: number;
  rssMaxMiB: number;
  rssMedianMiB: number;
  cpuPercent: number;
  cpuMs: number;
}

export async function measureFootprint(seconds = 60, say: (l: string) => void = () => {}): Promise<FootprintFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-footprint-'));
  const stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  const agent = startAgent([
    '--collector',
    stack.collectorAddress,
    '--tests',
    'cpu',
    '--profile',
    'quick',
    '--trials',
    '1',
    '--interval',
    '1h',
    '--jitter',
    '0s',
    '--workdir',
    join(dir, 'work'),
    '--agent-id',
    'bench-footprint',
    '--log-level',
    'info',
  ]);
  try {
    await agent.waitFor('next run scheduled', 120_000);
    await new Promise((r) => setTimeout(r, 2000)); // the last acks and the idle heartbeat settle
    say(`footprint: agent pid ${agent.pid} idle; sampling for ${seconds} s`);
    const rss: number[] = [];
    const cpu0 = cpuMs(agent.pid);
    const t0 = performance.now();
    for (let i = 0; i < seconds; i++) {
      rss.push(rssBytes(agent.pid));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const used = cpuMs(agent.pid) - cpu0;
    const wallMs = performance.now() - t0;
    rss.push(rssBytes(agent.pid));
    const mib = (b: number) => b / 2 ** 20;
    return { seconds, rssMaxMiB: mib(Math.max(...rss)), rssMedianMiB: mib(median(rss)), cpuMs: used, cpuPercent: (used / wallMs) * 100 };
  } finally {
    await agent.stop();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS of a bare `node` process that only waits: the floor any Node agent starts from. */
export async function bareNodeRssMiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    return rssBytes(child.pid!) / 2 ** 20;
  } finally {
    process.kill(child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('close', r));
  }
}

export async function benchFootprint(seconds = 60, say?: (l: string) => void): Promise<BenchSection> {
  const f = await measureFootprint(seconds, say);
  const bare = await bareNodeRssMiB();
  const notes: string[] = [];
  if (f.rssMaxMiB * 2 ** 20 > 60e6) {
    notes.push(
      `RSS over the goal. The floor is the runtime: a bare Node ${process.version} process that only waits holds ${sig(bare)} MiB in this run; ` +
        "loading @grpc/grpc-js alone adds about 13 MiB, the agent's modules plus the loaded contract bring it to about 65 MiB before any work (measured while writing this benchmark). " +
        'Node flags (--max-semi-space-size=1 --max-old-space-size=32 --v8-pool-size=1) saved only about 6 MiB. Ways to meet it: run the agent with --once from a systemd timer so nothing stays resident between runs, ' +
        'or ship the single-file bundle (deploy/bundle.sh) with systeminformation loaded lazily; a 60 MB cap on a resident Node process is otherwise out of reach.',
    );
    // Measured 2026-12-07 (load 7-9) so a rerun does not have to look again; see the commit that added it.
    notes.push(
      'Since 2026-11-26 (73.8 MiB) the idle agent grew by about 7 MiB: start-up loading, not a leak. The builds of 3e2538c and 7f11ffc run in turn, RSS 10 s after "next run scheduled": ' +
        "medians 73.5 and 80.8 MiB (6 and 3 runs, spread 69.6-74.0 and 79.4-83.6); no garbage collection ran in the 10 idle seconds traced (--trace-gc), the live heap after the start's full collection went from 9.6 to 12.4 MB. " +
        "zod (the file checks, since 0e45c17: 95 ES modules, ~1 MB of their source kept in the heap) is about 3 MiB of it (76.3 MiB when the 11-26 build only imports it); the rest is the agent's ~30 more modules " +
        'and a larger committed V8 heap (with --max-semi-space-size=1 the gap is 6 MiB, not 7-10). Not cheap to undo: a config or profile file needs the checks, so loading zod lazily would only flatter this benchmark.',
    );
  }
  return {
    title: 'Agent footprint (idle between scheduled runs)',
    method:
      `The built agent (node dist/cli/main.js agent --tests cpu --profile quick --trials 1 --interval 1h) runs one suite against a local collector, logs "next run scheduled", and is then sampled for ${seconds} s: ` +
      'VmRSS from /proc/<pid>/status every second, CPU = Δ(utime+stime) from /proc/<pid>/stat over the wall time (tick resolution 10 ms).',
    results: [
      { name: 'resident memory, max over the window', value: sig(f.rssMaxMiB), unit: 'MiB', goal: '≤ 60 MB', met: f.rssMaxMiB * 2 ** 20 <= 60e6 },
      { name: 'resident memory, median', value: sig(f.rssMedianMiB), unit: 'MiB' },
      { name: `CPU over ${seconds} s`, value: sig(f.cpuPercent, 2), unit: '%', goal: '≤ 0.5 %', met: f.cpuPercent <= 0.5 },
      { name: `CPU time used in ${seconds} s`, value: Math.round(f.cpuMs), unit: 'ms' },
      { name: 'reference: bare node process RSS (same run)', value: sig(bare), unit: 'MiB' },
    ],
    notes,
  };
}
