// A benchmark module run on its own (`node dist/bench/fleet.bench.js …`): its section goes to a
// JSON file in the temp directory instead of docs/BENCHMARKS.md (bench/run.ts writes that).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchSection } from './types.js';

/** Runs `bench` when the module at `moduleUrl` is the program node was started with. */
export function runIfMain(moduleUrl: string, name: string, bench: (argv: readonly string[]) => Promise<BenchSection>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  bench(process.argv.slice(2))
    .then((s) => {
      const out = join(tmpdir(), `${name}-${Date.now()}.json`);
      writeFileSync(out, JSON.stringify(s, null, 2));
      process.stderr.write(`[bench] ${name}: wrote ${out}\n`);
    })
    .catch((err: Error) => {
      process.stderr.write(`${name}: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
}
