// The collector writes what the contract says: each point's measurement, tag set and field
// types are those of schema/influx.ts (which docs/schema.md is checked against).
import { describe, expect, it } from 'vitest';
import type { AgentStatus__Output, IntervalSample__Output, Result__Output } from '../../proto/index.js';
import { guestHello as hello } from './hello.fixture.js';
import { MEASUREMENTS, type FieldType, type Measurement } from '../../schema/influx.js';
import { identityTags, resultPoint, samplePoint, statusPoint } from './points.js';

/** What a result and a sample share: which run, which test, which trial. */
const run = { timestamp_ns: '1', run_id: 'run1', test: 'cpu', profile: 'seed', sysbench_version: '1.0.20', trial: 1 };
const result = {
  ...run,
  id: 'r1',
  threads: 2,
  ok: false,
  errors: ['FATAL: x'],
  fields: { events_per_sec: 100, latency_avg_ms: 1.5 },
} as unknown as Result__Output;
const sample = { ...run, id: 's1', fields: { elapsed_s: 1, events_per_sec: 99 } } as unknown as IntervalSample__Output;
const status = {
  id: 'st',
  timestamp_ns: '1',
  spooled: '0',
  dropped: '0',
  corrupt: '0',
  rejected: '0',
  last_run_ok: true,
  state: 'idle',
} as unknown as AgentStatus__Output;

const jsType: Record<FieldType, string> = { float: 'number', string: 'string', boolean: 'boolean' };

function expectContract(point: { measurement?: string; tags?: Record<string, string>; fields?: Record<string, unknown> }): void {
  const spec = MEASUREMENTS[point.measurement as Measurement];
  expect(spec, `measurement ${point.measurement}`).toBeDefined();
  expect(Object.keys(point.tags ?? {}).sort()).toEqual([...spec.tags].sort());
  const fields = spec.fields as Record<string, FieldType>;
  for (const [name, value] of Object.entries(point.fields ?? {})) {
    expect(fields[name], `${point.measurement}.${name} is in schema/influx.ts`).toBeDefined();
    expect(typeof value, `${point.measurement}.${name}`).toBe(jsType[fields[name]!]);
  }
}

describe('points follow schema/influx.ts', () => {
  const tags = identityTags(hello);
  it('sysbench', () => expectContract(resultPoint(tags, result, { parent_agent: 'parent-1', declared_nesting: 'L2', seen_depth: 1 })));
  it('sysbench with noise signals and a disturbed trial (issue 22 item 6)', () => {
    const noisy = {
      ...result,
      noise: { steal_pct: 12, contention_pct: 0, procs_running: 1, load1: 1.02, cpu_mhz: 2625, agent_cpu_pct: 0.5 },
      disturbed: 'steal 12.0 % of CPU time (> 5 %)',
    };
    const p = resultPoint(tags, noisy as Result__Output);
    expectContract(p);
    expect(p.fields).toMatchObject({ steal_pct: 12, cpu_mhz: 2625, disturbed: true, disturbed_reason: 'steal 12.0 % of CPU time (> 5 %)' });
    // Noise read, not disturbed: the flag is false and there is no reason; no noise at all (older agents): neither.
    expect(resultPoint(tags, { ...noisy, disturbed: '' } as Result__Output).fields).toMatchObject({ disturbed: false });
    expect(resultPoint(tags, { ...noisy, disturbed: '' } as Result__Output).fields).not.toHaveProperty('disturbed_reason');
    expect(resultPoint(tags, { ...result, noise: {}, disturbed: '' } as Result__Output).fields).not.toHaveProperty('disturbed');
  });
  it('sysbench_interval', () => expectContract(samplePoint(tags, sample)));
  it('agent_status', () => expectContract(statusPoint(tags, status)));
});
