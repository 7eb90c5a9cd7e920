// Live latency: from sysbench printing an interval line to the point being queryable in
// InfluxDB. sysbench runs through a wrapper (the agent's --sysbench option) that stamps each
// line with bash's $EPOCHREALTIME the moment it leaves sysbench, before passing it on; this
// process polls InfluxDB every 50 ms and stamps each sample when a query first returns it.
// Both stamps come from the same wall clock; the poll period bounds the error (≤ 50 ms, late).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { influxClient } from '../collector/influx/client.js';
import { startLocalStack } from '../collector/stack.js';
import { startAgent } from './agent-process.js';
import { percentile, sig } from './stats.js';
import type { BenchSection } from './types.js';
import { measurementRef } from '../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const WRAPPER = `#!/bin/bash
# Passes sysbench's output through unchanged and logs "<epoch seconds.micros> <line>" per line.
set -o pipefail
sysbench "$@" | while IFS= read -r line; do
  ts=$EPOCHREALTIME
  printf '%s\\n' "$line"
  printf '%s %s\\n' "$ts" "$line" >> "$VO_BENCH_LINE_LOG"
done
`;

/** Print time (ms since the epoch) of each interval line, by its elapsed second. */
export function printTimes(log: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of log.split('\n')) {
    const m = /^(\d+)[.,](\d+) \[\s*(\d+(?:\.\d+)?)s \]/.exec(line);
    if (m) out.set(Number(m[3]), Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000);
  }
  return out;
}

export async function benchLatency(seconds = 30, say: (l: string) => void = () => {}): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-latency-'));
  const stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  const wrapper = join(dir, 'sysbench-stamped');
  const lineLog = join(dir, 'lines.log');
  writeFileSync(wrapper, WRAPPER);
  chmodSync(wrapper, 0o755);
  writeFileSync(lineLog, '');
  const profile = join(dir, 'latency.json');
  writeFileSync(
    profile,
    JSON.stringify({ name: 'latency', tests: { cpu: { threads: 1, time: seconds, options: { 'cpu-max-prime': '2000' }, timeout_s: seconds + 60 } } }),
  );
  const arrived = new Map<number, number>();
  const influx = influxClient(stack.influxUrl, stack.database);
  let polling = true;
  const poll = async () => {
    while (polling) {
      try {
        const rows = (await influx.query(`SELECT elapsed_s, sample_id FROM ${SAMPLES} WHERE agent = 'bench-latency'`)) as unknown as Array<{
          elapsed_s: number;
        }>;
        const now = Date.now();
        for (const r of rows) if (!arrived.has(r.elapsed_s)) arrived.set(r.elapsed_s, now);
      } catch {
        /* the database may not exist before the first write */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const poller = poll();
  let latencies: number[] = [];
  try {
    const agent = startAgent(
      [
        '--collector',
        stack.collectorAddress,
        '--once',
        '--profile',
        profile,
        '--tests',
        'cpu',
        '--trials',
        '1',
        '--workdir',
        join(dir, 'work'),
        '--agent-id',
        'bench-latency',
        '--sysbench',
        wrapper,
        '--log-level',
        'warn',
      ],
      { VO_BENCH_LINE_LOG: lineLog },
    );
    const code = await agent.exited;
    if (code !== 0) throw new Error(`latency agent exited with ${code}: ${agent.log().slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 300));
    polling = false;
    await poller;
    const printed = printTimes(readFileSync(lineLog, 'utf8'));
    for (const [elapsed, t] of printed) {
      const a = arrived.get(elapsed);
      if (a === undefined) throw new Error(`interval line [ ${elapsed}s ] was printed but never became queryable`);
      latencies.push(a - t);
    }
    if (latencies.length < seconds / 2) throw new Error(`only ${latencies.length} interval lines were stamped; expected about ${seconds}`);
    say(`latency: ${latencies.length} samples, p50 ${sig(percentile(latencies, 50))} ms, p95 ${sig(percentile(latencies, 95))} ms`);
  } finally {
    polling = false;
    await poller;
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  latencies = latencies.sort((a, b) => a - b);
  const p95 = percentile(latencies, 95);
  return {
    title: 'Live latency (interval line printed → queryable in InfluxDB)',
    method:
      `One ${seconds} s sysbench cpu run with --report-interval=1 under the built agent (--once), sysbench wrapped by a bash script that stamps each line with $EPOCHREALTIME as it leaves sysbench. ` +
      'The benchmark polls InfluxDB every 50 ms and stamps each sample when it first appears; latency = appeared − printed (the poll period adds up to 50 ms). ' +
      'The path: agent reads the line, parses it, appends it to the spool with fsync, sends it; the collector writes at once when idle (a partial batch waits up to 50 ms only while a write is in flight) and acks after InfluxDB accepted the write.',
    results: [
      { name: 'samples measured', value: latencies.length, unit: 'lines' },
      { name: 'latency p50', value: sig(percentile(latencies, 50)), unit: 'ms' },
      { name: 'latency p95', value: sig(p95), unit: 'ms', goal: '≤ 1 500 ms', met: p95 <= 1500 },
      { name: 'latency max', value: sig(latencies[latencies.length - 1]!), unit: 'ms' },
    ],
    notes: [],
  };
}
