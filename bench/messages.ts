// Real-shaped messages of a simulated agent: the hello a real agent sends and, per agent, a
// stream of cpu interval samples with a result after every ten (what a 10 s sysbench cpu run
// with --report-interval=1 produces). Deterministic, so the benchmark can build the very same
// points again for the direct-write comparison and the scale-out test can count them.
import type { AgentMessage, Hello, IntervalSample, Result } from '../proto/index.js';
import { PROTOCOL_VERSION } from '../proto/index.js';

export const SAMPLES_PER_RESULT = 10;
export const TRIALS_PER_RUN = 10;

export function simAgentId(i: number): string {
  return `sim-${String(i).padStart(4, '0')}`;
}

export function simHello(agentId: string, group: string, role: 'baseline' | 'guest' = 'guest'): Hello {
  return {
    protocol_version: PROTOCOL_VERSION,
    agent_id: agentId,
    hostname: agentId,
    group,
    role,
    variant: 'bench',
    host: { os: 'linux', kernel: '6.1.0-bench', arch: 'x64', cpu_model: 'simulated', cpus: 2, memory_bytes: String(4 * 2 ** 30) },
    environment: {
      virt: role === 'baseline' ? 'none' : 'kvm',
      container: 'none',
      kvm: 'absent',
      cpuid_signatures: ['KVMKVMKVM'],
      detection_json: '{"simulated":true}',
      declared: {},
    },
    agent_version: '0.1.0',
    sysbench_version: '1.0.20',
  };
}

/** Message k (0-based) of an agent. Every 11th is a result, the others interval samples. */
export function simMessage(agentId: string, k: number, baseNs: bigint): AgentMessage {
  const timestamp_ns = (baseNs + BigInt(k) * 1_000_000n).toString(); // 1 ms apart: unique per series
  // Ten trials per run (trial numbers stay small, as real ones do), runs numbered on.
  const trialIndex = Math.floor(k / (SAMPLES_PER_RESULT + 1));
  const trial = (trialIndex % TRIALS_PER_RUN) + 1;
  const run_id = `bench-run-${Math.floor(trialIndex / TRIALS_PER_RUN)}`;
  const inTrial = k % (SAMPLES_PER_RESULT + 1);
  if (inTrial === SAMPLES_PER_RESULT) {
    const eps = 1200 + (k % 97);
    const result: Result = {
      id: `${agentId}:${run_id}:cpu:${trial}`,
      timestamp_ns,
      run_id,
      test: 'cpu',
      profile: 'bench',
      trial,
      threads: 1,
      ok: true,
      fields: {
        events_per_sec: eps,
        total_time_s: 10.0004,
        total_events: eps * 10,
        latency_min_ms: 0.74,
        latency_avg_ms: 0.8,
        latency_max_ms: 3.1,
        latency_pct: 95,
        latency_pct_ms: 0.87,
        latency_sum_ms: 9991.2,
        fairness_events_avg: eps * 10,
        fairness_events_stddev: 0,
        fairness_exec_time_avg: 9.9912,
        fairness_exec_time_stddev: 0,
      },
      errors: [],
      sysbench_version: '1.0.20',
    };
    return { result };
  }
  const sample: IntervalSample = {
    id: `${agentId}:${run_id}:cpu:${trial}:i${inTrial + 1}`,
    timestamp_ns,
    run_id,
    test: 'cpu',
    profile: 'bench',
    trial,
    fields: { elapsed_s: inTrial + 1, threads: 1, events_per_sec: 1200 + (k % 89), latency_pct: 95, latency_pct_ms: 0.87 + (k % 7) / 100 },
    sysbench_version: '1.0.20',
  };
  return { sample };
}

export function messageId(msg: AgentMessage): string {
  const id = msg.result?.id ?? msg.sample?.id ?? msg.status?.id;
  if (!id) throw new Error('simulated message without an id');
  return id;
}
