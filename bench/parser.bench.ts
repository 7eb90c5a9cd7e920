// Parse throughput over the sysbench fixture corpus: the corpus is repeated to ~50 MB and
// parsed 5 times; the median MB/s is reported. Goal: >= 50 MB/s on the reference machine.
import { readdirSync, readFileSync } from 'node:fs';
import type { BenchResult } from './types.js';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { parseSysbenchOutput } from '../agent/sysbench/parser/index.js';

const GOAL_MB_S = 50;

export async function benchParser(): Promise<BenchResult[]> {
  // From the project root, so the compiled benchmark (dist/bench/) finds the same fixtures.
  const dir = join(packageRoot(), 'test', 'fixtures', 'sysbench');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();
  // Each fixture stays a separate text (as the agent parses one run's output at a time).
  const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  const corpusBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const repeat = Math.max(1, Math.round(50e6 / corpusBytes));
  let sink = 0;
  // One untimed pass so the JIT has compiled the parser, as it has in a long-running agent.
  for (let r = 0; r < Math.min(repeat, 50); r++) for (const t of texts) sink += parseSysbenchOutput(t).length;
  const samples: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeat; r++) for (const t of texts) sink += parseSysbenchOutput(t).length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    samples.push((corpusBytes * repeat) / 1e6 / seconds);
  }
  if (sink === 0) throw new Error('parser returned nothing for the fixture corpus');
  samples.sort((a, b) => a - b);
  const median = Number(samples[2]!.toFixed(1));
  return [
    { name: 'sysbench parser throughput (fixture corpus, median of 5)', value: median, unit: 'MB/s', goal: `>= ${GOAL_MB_S} MB/s`, met: median >= GOAL_MB_S },
  ];
}
