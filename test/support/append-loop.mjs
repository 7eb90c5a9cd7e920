// Test harness (a real process): appends valid interval samples to a spool in a loop and
// prints each id on stdout only after append() returned (written and fsync'd). The test
// SIGKILLs it mid-loop. usage: node append-loop.mjs SPOOL_DIR PREFIX
import { Spool } from '../../dist/agent/spool/spool.js';

const [dir, prefix] = process.argv.slice(2);
const spool = Spool.open(dir, { segmentBytes: 64 * 1024 });
const base = BigInt(Date.now()) * 1_000_000n;
process.stdout.write(`start ${spool.stats().spooled}\n`);
for (let i = 0; ; i++) {
  const id = `${prefix}-${i}`;
  const body = {
    id,
    timestamp_ns: String(base + BigInt(i)),
    run_id: `kill-${prefix}`,
    test: 'cpu',
    profile: 'kill',
    trial: 1,
    fields: { elapsed_s: i + 1, events_per_sec: i },
    sysbench_version: '1.0.20',
  };
  spool.append([{ id, kind: 'sample', body }]);
  process.stdout.write(`${id}\n`); // a pipe: written synchronously, so a printed id was fsync'd
}
