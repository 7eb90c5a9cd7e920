// `npm run bench`: runs every benchmark and rewrites docs/BENCHMARKS.md with the figures, the
// machine and the date. `--only=ingest,spool` runs a subset (and still rewrites the file).
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../proto/index.js';
import { benchFootprint } from './footprint.bench.js';
import { benchIngest } from './ingest.bench.js';
import { benchLatency } from './latency.bench.js';
import { machineInfo } from './machine.js';
import { renderMarkdown } from './markdown.js';
import { benchPerturbation } from './perturbation.bench.js';
import { benchSpool } from './spool.bench.js';
import type { BenchResult, BenchSection } from './types.js';

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

type ExternalBench = () => Promise<BenchResult[]>;

/** Benchmarks other modules own; loaded by name so a missing one is skipped with a note. */
async function external(file: string, fn: string): Promise<ExternalBench | string> {
  const spec = `./${file}`;
  try {
    const mod = (await import(spec)) as Record<string, unknown>;
    const f = mod[fn];
    return typeof f === 'function' ? (f as ExternalBench) : `bench/${file.replace(/\.js$/, '.ts')} does not export ${fn}()`;
  } catch (err) {
    return `bench/${file.replace(/\.js$/, '.ts')} could not be loaded: ${(err as Error).message.split('\n')[0]}`;
  }
}

async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const want = (name: string) => !only || only.includes(name);
  const started = Date.now();
  const machine = machineInfo();
  const sections: BenchSection[] = [];
  const skipped: string[] = [];
  const steps: Array<[string, () => Promise<BenchSection>]> = [
    ['ingest', () => benchIngest({ log: say })],
    ['footprint', () => benchFootprint(60, say)],
    ['perturbation', () => benchPerturbation(7, say)],
    ['latency', () => benchLatency(30, say)],
    ['spool', () => benchSpool()],
  ];
  for (const [name, file, fn, title] of [['parser', 'parser.bench.js', 'benchParser', 'Parser'], ['detect', 'detect.bench.js', 'benchDetect', 'Detection']] as const) {
    steps.push([
      name,
      async () => {
        const f = await external(file, fn);
        if (typeof f === 'string') throw new Error(f);
        return { title, method: `${fn}() from bench/${file.replace(/\.js$/, '.ts')} (owned by its module's engineer).`, results: await f(), notes: [] };
      },
    ]);
  }
  for (const [name, step] of steps) {
    if (!want(name)) continue;
    say(`${name}: start (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    const t0 = Date.now();
    try {
      const section = await step();
      section.notes.push(`Took ${Math.round((Date.now() - t0) / 1000)} s; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(', ')}.`);
      sections.push(section);
    } catch (err) {
      say(`${name}: FAILED: ${(err as Error).stack ?? err}`);
      skipped.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const md = renderMarkdown({ date: new Date(started), machine, loadEnd: loadavg().map((x) => Math.round(x * 100) / 100), durationS: (Date.now() - started) / 1000, sections, skipped });
  const path = join(packageRoot(), 'docs', 'BENCHMARKS.md');
  writeFileSync(path, md + '\n');
  say(`wrote ${path}`);
  const unmet = sections.flatMap((s) => s.results.filter((r) => r.met === false).map((r) => `${s.title}: ${r.name}`));
  if (unmet.length) say(`goals not met: ${unmet.join('; ')}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
