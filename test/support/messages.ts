// Valid wire messages for the unit tests of the agent's sender and the collector's validation
// and stream handler, at a fixed time, in the shape the collector decodes them to (every field
// present). One place to add a field when the contract grows; tests override what they vary.
import type { AgentStatus__Output, Environment__Output, Hello__Output, IntervalSample__Output, Result__Output } from '../../proto/index.js';

/** 2025-06-15T15:06:40Z: the fixed "now" of these messages. */
export const NOW_MS = 1_750_000_000_000;
export const NOW_NS = '1750000000000000000';

export function hello(over: Partial<Hello__Output> = {}, env: Partial<Environment__Output> = {}): Hello__Output {
  return {
    protocol_version: 2,
    agent_id: 'agent-1',
    hostname: 'host-1',
    group: 'rack-7',
    role: 'guest',
    variant: '',
    host: null,
    environment: { virt: 'kvm', container: 'none', kvm: 'usable', cpuid_signatures: [], detection_json: '{}', declared: {}, ...env },
    agent_version: '0.1.0',
    sysbench_version: '1.0.20',
    parent_agent: '',
    clock_ns: '0',
    ...over,
  };
}

export function result(id = 'res-1', over: Partial<Result__Output> = {}): Result__Output {
  return {
    id,
    timestamp_ns: NOW_NS,
    run_id: 'run-1',
    test: 'cpu',
    profile: 'quick',
    trial: 1,
    threads: 1,
    ok: true,
    fields: { events_per_sec: 100 },
    resolution: {},
    errors: [],
    sysbench_version: '1.0.20',
    noise: {},
    disturbed: '',
    ...over,
  };
}

export function sample(id = 'smp-1', over: Partial<IntervalSample__Output> = {}): IntervalSample__Output {
  return {
    id,
    timestamp_ns: NOW_NS,
    run_id: 'run-1',
    test: 'cpu',
    profile: 'quick',
    trial: 1,
    fields: { elapsed_s: 1, events_per_sec: 99.5 },
    sysbench_version: '1.0.20',
    ...over,
  };
}

export function status(id = 'st-1', over: Partial<AgentStatus__Output> = {}): AgentStatus__Output {
  return { id, timestamp_ns: NOW_NS, spooled: '0', dropped: '0', corrupt: '0', rejected: '0', last_run_ok: true, state: 'idle', ...over };
}
