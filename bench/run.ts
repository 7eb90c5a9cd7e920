// `npm run bench`: runs every benchmark and rewrites docs/BENCHMARKS.md with the figures, the
// machine and the date. `--only=ingest,spool` runs a subset (and still rewrites the file).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from '../lib/root.js';
import { benchFootprint } from './footprint.bench.js';
import { benchIngest, ingestOptionsFromArgv } from './ingest.bench.js';
import { benchLatency } from './latency.bench.js';
import { machineInfo } from './machine.js';
import { mergeMarkdown, renderMarkdown } from './markdown.js';
import { benchCalibration } from './calibration.bench.js';
import { benchPerturbation } from './perturbation.bench.js';
import { benchSpool } from './spool.bench.js';
import { benchTimer } from './timer.bench.js';
import { benchChanges } from './changes.bench.js';
import { benchPanels } from './panels.bench.js';
import { panelsOptionsFromArgv } from './panels-plan.js';
import { benchAgentFile } from './agent-file.bench.js';
import { benchFleet, fleetOptionsFromArgv } from './fleet.bench.js';
import { benchCatchup } from './catchup.bench.js';
import { catchupOptionsFromArgv } from './catchup-plan.js';
import type { BenchResult, BenchSection } from './types.js';
import { benchArgs, UsageError, USAGE } from './args.js';

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/**
 * Benchmarks other modules own, each run in a fresh node process: after the ingest run this
 * process's heap and JIT state made the parser swing between 45 and 75 MB/s. A missing module
 * or function is skipped with a note.
 */
async function external(file: string, fn: string): Promise<BenchResult[] | string> {
  const url = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), file)).href;
  const script = `const m = await import(${JSON.stringify(url)}); if (typeof m.${fn} !== 'function') { console.error('no ${fn}()'); process.exit(3); } process.stdout.write(JSON.stringify(await m.${fn}()));`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) resolve(`bench/${file.replace(/\.js$/, '.ts')}: ${fn}() failed: ${(stderr || err.message).split('\n')[0]}`);
      else resolve(JSON.parse(stdout) as BenchResult[]);
    });
  });
}

function optionSets(argv: readonly string[]) {
  return {
    ingest: ingestOptionsFromArgv(argv),
    fleet: fleetOptionsFromArgv(argv),
    catchup: catchupOptionsFromArgv(argv),
    panels: panelsOptionsFromArgv(argv),
  };
}

async function main(): Promise<void> {
  // A reader that goes away (`| head`) must not kill the run before it stops its influxd and agents.
  process.stderr.on('error', () => undefined);
  const argv = process.argv.slice(2);
  const want = (name: string) => !only || only.includes(name);
  const started = Date.now();
  const machine = machineInfo();
  const sections: BenchSection[] = [];
  const skipped: string[] = [];
  const steps: Array<[string, () => Promise<BenchSection>]> = [
    ['ingest', () => benchIngest({ ...options.ingest, log: say })],
    ['footprint', () => benchFootprint(60, say)],
    ['perturbation', () => benchPerturbation(20, say)],
    ['calibration', () => benchCalibration(2000, say)],
    ['latency', () => benchLatency(30, say)],
    ['spool', () => benchSpool()],
    ['timer', () => benchTimer(5, say)],
    ['changes', () => benchChanges()],
    ['panels', () => benchPanels(options.panels)],
    ['agent-file', () => benchAgentFile(10, say)],
    ['fleet', () => benchFleet({ ...options.fleet, log: (m) => say(`fleet: ${m}`) })],
    ['catchup', () => benchCatchup({ ...options.catchup, log: (m) => say(`catchup: ${m}`) })],
  ];
  for (const [name, file, fn, title] of [
    ['parser', 'parser.bench.js', 'benchParser', 'Parser'],
    ['detect', 'detect.bench.js', 'benchDetect', 'Detection'],
  ] as const) {
    steps.push([
      name,
      async () => {
        const results = await external(file, fn);
        if (typeof results === 'string') throw new Error(results);
        return { title, method: `${fn}() from bench/${file.replace(/\.js$/, '.ts')}, in a fresh node process.`, results, notes: [] };
      },
    ]);
  }
  const names = steps.map(([name]) => name);
  const parsed = benchArgs(argv, names);
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\nBenchmarks: ${names.join(', ')}\n`);
    return;
  }
  // Every benchmark's options, read after the names are checked and before any benchmark runs (the
  // steps above read them when they run): a bad value must not come up after an hour of the others.
  const options = optionSets(argv);
  const only = parsed.only;
  for (const [name, step] of steps) {
    if (!want(name)) continue;
    say(
      `${name}: start (load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})`,
    );
    const t0 = Date.now();
    try {
      const section = await step();
      section.notes.push(
        `Took ${Math.round((Date.now() - t0) / 1000)} s; load average at the end ${loadavg()
          .map((x) => x.toFixed(2))
          .join(', ')}.`,
      );
      sections.push(section);
    } catch (err) {
      say(`${name}: FAILED: ${(err as Error).stack ?? err}`);
      skipped.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const md = renderMarkdown({
    date: new Date(started),
    machine,
    loadEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    durationS: (Date.now() - started) / 1000,
    sections,
    skipped,
  });
  const path = join(packageRoot(), 'docs', 'BENCHMARKS.md');
  // --only reruns some sections: the others keep their figures (and their own dates) from the file.
  writeFileSync(path, (only && existsSync(path) ? mergeMarkdown(readFileSync(path, 'utf8'), md) : md) + '\n');
  say(`wrote ${path}`);
  const unmet = sections.flatMap((s) => s.results.filter((r) => r.met === false).map((r) => `${s.title}: ${r.name}`));
  if (unmet.length) say(`goals not met: ${unmet.join('; ')}`);
  const open = sections.flatMap((s) => s.results.filter((r) => r.met === 'not shown').map((r) => `${s.title}: ${r.name}`));
  if (open.length) say(`goals neither met nor missed beyond the noise: ${open.join('; ')}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err instanceof UsageError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
