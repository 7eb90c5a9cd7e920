// What 10 000 agents that reported once and went away leave in the collector's per-agent maps,
// and what is left once the forget time has passed (docs/scaling.md, "What a guest that reports
// once leaves in the collector's memory"). The real classes from dist/, each agent with 25
// series (5 tests x 5 profiles) and one run; the history guard's InfluxDB answers in-process.
// Clocks are injected, so the forget time passes at once. Run after a build:
//   node --expose-gc scripts/departed-memory.mjs
import { TagBudgets, BUDGET_FORGET_AFTER_MS } from '../dist/collector/server/budget.js';
import { TokenBucket } from '../dist/collector/server/ratelimit.js';
import { HistoryGuard } from '../dist/collector/influx/history.js';
import { seriesKey } from '../dist/collector/influx/line.js';
import { RunFacts } from '../dist/collector/facts/runs.js';
import { FactsRecorder } from '../dist/collector/facts/recorder.js';
import { FORGET_AFTER_MS, IdleMap } from '../dist/lib/idle-map.js';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const AGENTS = Number(process.argv[2] ?? 10_000);
const TESTS = ['cpu', 'memory', 'fileio', 'threads', 'mutex'];
const PROFILES = ['quick', 'standard', 'long', 'seq', 'rand'];

const tagsOf = (i) => ({
  agent: `vm-${String(i).padStart(5, '0')}-${'x'.repeat(20)}`,
  group: 'fleet-group-07',
  host: `host-${i % 100}.example.internal`,
  role: 'guest',
  virt: 'kvm',
  container: 'none',
  kvm: 'absent',
  variant: 'default',
});
const seriesOf = (i) => TESTS.flatMap((test) => PROFILES.map((profile) => ({ ...tagsOf(i), test, profile, sysbench_version: '1.0.20' })));

async function heap() {
  for (let k = 0; k < 3; k++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Fills one map with the departed agents, then lets the forget time pass and hears from one agent. */
async function measure(name, forgetMs, make) {
  let t = 0;
  const m = make(() => t);
  const empty = await heap();
  for (let i = 0; i < AGENTS; i++) await m.departed(i);
  const full = await heap();
  t += forgetMs;
  await m.active(AGENTS + 1);
  const after = await heap();
  const kb = (b) => ((b - empty) / AGENTS / 1024).toFixed(2);
  console.log(
    `${name}: ${AGENTS} departed agents ${((full - empty) / 1048576).toFixed(1)} MB (${kb(full)} KB each); after ${forgetMs / 3_600_000} h and one active agent ${((after - empty) / 1048576).toFixed(2)} MB, ${m.size()} entries left`,
  );
  return m;
}

await measure('tag and series budgets', BUDGET_FORGET_AFTER_MS, (now) => {
  const b = new TagBudgets(undefined, undefined, undefined, now);
  const admit = (i) => {
    const tags = tagsOf(i);
    b.admit(tags.group, tags.agent, { host: tags.host, variant: tags.variant, virt: tags.virt, container: tags.container, kvm: tags.kvm });
    for (const s of seriesOf(i)) b.admit(s.group, s.agent, { profile: s.profile, sysbench_version: s.sysbench_version }, seriesKey('sysbench', s));
  };
  return { departed: admit, active: admit, size: () => b.size };
});

await measure('results-rate buckets', FORGET_AFTER_MS, (now) => {
  const buckets = new IdleMap({ idleMs: FORGET_AFTER_MS, max: 100_000, now });
  const hello = (i) => {
    const agent = tagsOf(i).agent;
    buckets.set(agent, new TokenBucket(5000, 20_000));
    buckets.set(`results\0${agent}`, new TokenBucket(5, 1000));
  };
  return { departed: hello, active: hello, size: () => buckets.size };
});

await measure('history guard agents/newest', FORGET_AFTER_MS, (now) => {
  // InfluxDB's answer: the agent's 25 series with a newest point each; nothing at the batch's times.
  const query = async (q) => ({
    results: q.split('; ').map((st) => {
      if (!st.includes('ORDER BY time DESC LIMIT 1')) return { series: [] };
      const i = Number(/vm-(\d+)/.exec(st)[1]);
      return {
        series: seriesOf(i).map(({ test, ...tags }) => ({
          name: 'sysbench',
          tags: { ...tags, test },
          columns: ['time', 'content_hash'],
          values: [['1000', 'h']],
        })),
      };
    }),
  });
  const g = new HistoryGuard(query, 0, undefined, 20_000, { afterMs: FORGET_AFTER_MS, now });
  const batch = async (i) => {
    const s = seriesOf(i)[0];
    const key = seriesKey('sysbench', s);
    await g.check([{ measurement: 'sysbench', agent: s.agent, key, ts: '2000', hash: 'h2' }]);
  };
  return { departed: batch, active: batch, size: () => `${g.agentsKnown} agents, ${g.seriesKnown} series:` };
});

await measure('run facts', FORGET_AFTER_MS, (now) => {
  const runs = new RunFacts(10_000, { afterMs: FORGET_AFTER_MS, now });
  const run = (i) => runs.newRuns([{ tags: { ...seriesOf(i)[0] }, fields: { run_id: `run-${i}-0123456789abcdef` }, timestamp_ns: '1000' }]);
  return { departed: run, active: run, size: () => runs.size };
});

await measure('facts recorder newest facts', FORGET_AFTER_MS, (now) => {
  // A store that holds nothing: each agent's first hello is a change, written and kept.
  const store = { write: async () => {}, select: async () => [], selectMany: async (s) => s.map(() => []), tagValues: async () => [], delete: async () => {} };
  const rec = new FactsRecorder(store, undefined, { afterMs: FORGET_AFTER_MS, now });
  const facts = {
    os: 'Debian GNU/Linux 12 (bookworm)',
    kernel: '6.1.0-28-amd64',
    arch: 'x64',
    cpu_model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    cpus: '4',
    memory_bytes: '8589934592',
    sysbench_version: '1.0.20',
    agent_version: '0.1.0',
  };
  const hello = (i) => rec.record([{ tags: tagsOf(i), timeNs: 1000n, facts: { hello: facts } }]);
  return { departed: hello, active: hello, size: () => `${rec.size.agents} agents, ${rec.size.bytes} bytes counted:` };
});
