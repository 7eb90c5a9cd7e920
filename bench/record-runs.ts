// Records runs for the noise model of the change-point benchmark (bench/noise-model.ts): runs of
// the same sysbench cpu command one after another on this machine, alternating two arms A and B
// (both native: an A/A pair, so whatever differs between adjacent runs is noise), each run N
// trials, each trial with the agent's own noise signals (agent/noise/). Writes JSON.
//   node dist/bench/record-runs.js OUT.json [RUNS=200] [TRIALS=3]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RootFs } from '../agent/detect/root-fs.js';
import { startNoiseMeter } from '../agent/noise/meter.js';
import type { TestSpec } from '../agent/sysbench/profiles.js';
import { runTest, sysbenchVersion } from '../agent/sysbench/runner.js';
import type { TrialNoise } from '../schema/noise.js';

export const RECORDED_SPEC: TestSpec = { threads: 1, time: 1, options: { 'cpu-max-prime': '2000' }, timeoutS: 60 };

export interface RecordedRun {
  arm: 'A' | 'B';
  /** ms since the recording started. */
  atMs: number;
  trials: Array<{ events_per_sec: number; noise: TrialNoise; disturbed: string | null }>;
}

export interface Recording {
  source: string;
  runs: RecordedRun[];
}

export async function record(runs: number, trials: number, log: (s: string) => void = () => {}): Promise<Recording> {
  const sysbench = 'sysbench';
  const version = await sysbenchVersion(sysbench);
  const workdir = mkdtempSync(join(tmpdir(), 'vo-record-'));
  const root = new RootFs('/');
  const t0 = Date.now();
  const load0 = loadavg()[0]!.toFixed(2);
  const out: RecordedRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const run: RecordedRun = { arm: i % 2 === 0 ? 'A' : 'B', atMs: Date.now() - t0, trials: [] };
      for (let t = 0; t < trials; t++) {
        const meter = startNoiseMeter({ root, threads: RECORDED_SPEC.threads });
        const r = await runTest('cpu', RECORDED_SPEC, { sysbench, version, workdir });
        const s = meter.stop();
        const v = r.invocation?.fields.events_per_sec;
        if (!r.ok || typeof v !== 'number') throw new Error(`run ${i} trial ${t + 1} failed: ${r.errors.join('; ')}`);
        run.trials.push({ events_per_sec: v, noise: s.noise, disturbed: s.disturbed });
      }
      out.push(run);
      if (i % 20 === 19) log(`${i + 1}/${runs} runs (load ${loadavg()[0]!.toFixed(2)})`);
    }
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
  const cmd = `sysbench ${version.text} cpu --threads=1 --time=1 --cpu-max-prime=2000`;
  return {
    source: `${cmd}: ${runs} runs of ${trials} trials one after another, arms A and B alternating (both native), on the development machine (2 vCPUs, AMD EPYC) on ${new Date(t0).toISOString().slice(0, 10)} while other engineers' builds and tests ran on it (load ${load0} at the start, ${loadavg()[0]!.toFixed(2)} at the end; ${((Date.now() - t0) / 60000).toFixed(1)} min): recorded by bench/record-runs.ts`,
    runs: out,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, runs = '200', trials = '3'] = process.argv.slice(2);
  if (!file) throw new Error('usage: record-runs.js OUT.json [RUNS] [TRIALS]');
  const rec = await record(Number(runs), Number(trials), (s) => process.stderr.write(`[record] ${s}\n`));
  writeFileSync(file, JSON.stringify(rec, null, 1) + '\n');
}
