// Test harness (a real process): an agent without sysbench. It spools COUNT synthetic results
// and interval samples through the real Spool and Sender, so tests can drive long streams and
// know every id it produced. Options come as one JSON argument:
//   {collector, spoolDir, agentId, group?, role?, variant?, hostname?, count, everyMs?,
//    batch?, statsEveryMs?, resultEvery?, tokenFile?, tls?, backoffBaseMs?, spoolMax?, exitWhenDrained?, baseNs?}
// stdout: one JSON line per event (start, produced, connected, drained, stopped).
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Spool } from '../../dist/agent/spool/spool.js';
import { Sender } from '../../dist/agent/stream/sender.js';

const o = JSON.parse(process.argv[2]);
const log = pino({ level: 'info' }, pino.destination(2));
const say = (event, extra = {}) => process.stdout.write(JSON.stringify({ event, ...extra }) + '\n');
const spool = Spool.open(o.spoolDir, {
  ...(o.spoolMax ? { maxBytes: o.spoolMax, segmentBytes: Math.max(4096, Math.floor(o.spoolMax / 8)) } : {}),
  onDrop: (n) => log.warn({ dropped: n }, 'spool full: dropped the oldest records'),
});
say('start', spool.stats());
const hello = {
  protocol_version: 1,
  agent_id: o.agentId,
  hostname: o.hostname ?? 'load-host',
  group: o.group ?? 'rel',
  role: o.role ?? 'guest',
  variant: o.variant ?? 'load',
  host: { os: 'linux', kernel: '6.1', arch: 'x64', cpu_model: 'test', cpus: 2, memory_bytes: '1024' },
  environment: { virt: 'none', container: 'docker', kvm: 'absent', cpuid_signatures: [], detection_json: '{}', declared: {} },
  agent_version: 'load',
  sysbench_version: '1.0.20',
};
const token = o.tokenFile ? readFileSync(o.tokenFile, 'utf8').trim() : undefined;
let connections = 0;
const onConnected = () => say('connected', { n: ++connections, pending: spool.stats().spooled });
const sender = new Sender({
  address: o.collector,
  hello,
  token,
  tls: o.tls ?? {},
  spool,
  log,
  backoffBaseMs: o.backoffBaseMs ?? 100,
  window: o.window,
  onConnected,
});
sender.start();

// Fixed base timestamp, one ns step per record: a resend carries the same timestamp.
const baseNs = BigInt(o.baseNs ?? Date.now() * 1e6);
const resultEvery = o.resultEvery ?? 10;
function recordFor(i) {
  const ts = String(baseNs + BigInt(i));
  if (resultEvery > 0 && i % resultEvery === 0) {
    const id = `${o.agentId}:load:r${i}`;
    return {
      id,
      kind: 'result',
      body: {
        id,
        timestamp_ns: ts,
        run_id: 'load',
        test: 'cpu',
        profile: 'load',
        trial: 1,
        threads: 1,
        ok: true,
        fields: { events_per_sec: i + 0.5, total_time_s: 1 },
        errors: [],
        sysbench_version: '1.0.20',
      },
    };
  }
  const id = `${o.agentId}:load:s${i}`;
  return {
    id,
    kind: 'sample',
    body: {
      id,
      timestamp_ns: ts,
      run_id: 'load',
      test: 'cpu',
      profile: 'load',
      trial: 1,
      fields: { elapsed_s: i + 1, events_per_sec: i },
      sysbench_version: '1.0.20',
    },
  };
}

let produced = 0;
if (o.statsEveryMs) {
  // Outside view of the spool: what is produced, still spooled (unacknowledged) and acked.
  setInterval(() => {
    const s = spool.stats();
    say('stats', {
      produced,
      spooled: s.spooled,
      dropped: s.dropped,
      acked: produced - s.spooled - s.dropped - sender.rejected,
      connected: sender.isConnected(),
    });
  }, o.statsEveryMs).unref();
}
let stopping = false;
async function produce() {
  const count = o.count ?? 0;
  const batch = o.batch ?? 1; // records per append (one fsync each)
  for (let i = 0; i < count && !stopping; i += batch) {
    const records = [];
    for (let k = i; k < Math.min(count, i + batch); k++) records.push(recordFor(k));
    spool.append(records);
    produced += records.length;
    sender.pump();
    if (o.everyMs) await new Promise((r) => setTimeout(r, o.everyMs));
    else await new Promise((r) => setImmediate(r));
  }
  say('produced', { n: count, ...spool.stats() });
  if (stopping) return;
  await sender.drained(600_000);
  const s = spool.stats();
  // A heartbeat the way the real agent sends it, so tests can read agent_status.
  const acked = await sender.sendStatus(
    {
      id: `${o.agentId}:status:final`,
      timestamp_ns: String(BigInt(Date.now()) * 1_000_000n),
      spooled: String(s.spooled),
      dropped: String(s.dropped),
      corrupt: String(s.corrupt),
      last_run_ok: true,
      state: 'idle',
      rejected: String(sender.rejected),
    },
    20_000,
  );
  say('drained', { ...s, statusAcked: acked, connections, rejected: sender.rejected });
  if (o.exitWhenDrained) finish(0);
}

function finish(code) {
  sender.stop();
  const s = spool.stats();
  spool.close();
  say('stopped', { ...s, connections });
  process.exit(code);
}
process.on('SIGTERM', () => {
  stopping = true;
  finish(0);
});
produce().catch((err) => {
  log.error({ err: err.message }, 'load agent failed');
  finish(1);
});
