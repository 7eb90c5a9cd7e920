// agent_info facts: what a hello yields, how a change becomes an event, which facts a run gets.
import { describe, expect, it } from 'vitest';
import type { Hello__Output } from '../../proto/index.js';
import { agentInfoPoint, factsAt, helloFacts } from './index.js';
import { RunFacts } from './runs.js';

const hello = (kernel: string, declared: Record<string, string> = {}): Hello__Output =>
  ({
    protocol_version: 2,
    agent_id: 'vm1',
    hostname: 'vm1',
    group: 'g',
    role: 'guest',
    variant: '',
    host: { os: 'Debian GNU/Linux 12', kernel, arch: 'x64', cpu_model: 'AMD EPYC', cpus: 4, memory_bytes: '8589934592' },
    environment: { virt: 'kvm', container: 'none', kvm: 'absent', cpuid_signatures: [], detection_json: '', declared },
    agent_version: '0.1.0',
    sysbench_version: '1.0.20',
  }) as unknown as Hello__Output;

const TAGS = { agent: 'vm1', host: 'vm1', group: 'g', role: 'guest', virt: 'kvm', container: 'none', kvm: 'absent', variant: 'default' };

describe('agent_info', () => {
  it('a hello gives its host facts, versions and the declared QEMU version', () => {
    expect(helloFacts(hello('6.1.0', { qemu_version: '8.2.2', nesting: 'L1' }))).toEqual({
      os: 'Debian GNU/Linux 12',
      kernel: '6.1.0',
      arch: 'x64',
      cpu_model: 'AMD EPYC',
      cpus: '4',
      memory_bytes: '8589934592',
      agent_version: '0.1.0',
      sysbench_version: '1.0.20',
      qemu_version: '8.2.2',
      declared: '{"nesting":"L1","qemu_version":"8.2.2"}',
    });
  });

  it('numbers are stored as floats; a changed kernel is an event on the new point', () => {
    const before = helloFacts(hello('6.1.0'));
    const p = agentInfoPoint(TAGS, helloFacts(hello('6.12.0')), before, 5n);
    expect(p.fields).toMatchObject({ cpus: 4, memory_bytes: 8589934592, kernel: '6.12.0', changed: 'kernel', changed_detail: 'kernel: 6.1.0 → 6.12.0' });
    expect(agentInfoPoint(TAGS, before, before, 6n).fields!.changed).toBeUndefined();
    expect(agentInfoPoint(TAGS, before, null, 6n).fields!.changed).toBeUndefined();
  });

  it('a run gets the facts of the newest hello at or before it (a known clock skew can be allowed)', () => {
    const MIN = 60_000_000_000n;
    const h = [
      { timeNs: 0n, facts: { kernel: 'a' } },
      { timeNs: 100n * MIN, facts: { kernel: 'b' } },
    ];
    expect(factsAt(h, 50n * MIN)).toEqual({ kernel: 'a' });
    expect(factsAt(h, 100n * MIN)).toEqual({ kernel: 'b' });
    expect(factsAt(h, 99n * MIN)).toEqual({ kernel: 'a' });
    expect(factsAt(h, 97n * MIN, 5n * MIN)).toEqual({ kernel: 'b' }); // agent clock 3 min behind, 5 min allowed
    expect(factsAt(h, -10n * MIN)).toEqual({});
  });

  it('a new declared QEMU version is one event, named qemu_version (not the whole declared object)', () => {
    const p = agentInfoPoint(TAGS, helloFacts(hello('6.1.0', { qemu_version: '9.0.0' })), helloFacts(hello('6.1.0', { qemu_version: '8.2.2' })), 7n);
    expect([p.fields!.changed, p.fields!.changed_detail]).toEqual(['qemu_version', 'qemu_version: 8.2.2 → 9.0.0']);
  });

  it('each run once, at its earliest result of the batch; a run seen before is not recorded again', () => {
    const runs = new RunFacts(2);
    const result = (run: string, ts: number, version = '1.0.20') => ({
      tags: { ...TAGS, test: 'cpu', sysbench_version: version },
      fields: { run_id: run },
      timestamp_ns: String(ts),
    });
    const got = runs.newRuns([result('r1', 30), result('r1', 10), result('r2', 20, '1.1.0'), result('r1', 40)]);
    expect(got.map((r) => [r.runId, r.timeNs, r.sysbenchVersion])).toEqual([
      ['r1', 10n, '1.0.20'],
      ['r2', 20n, '1.1.0'],
    ]);
    expect(got[0]!.tags).toEqual(TAGS); // identity tags only: test and version are not agent_info tags
    expect(runs.newRuns([result('r1', 50), result('r2', 60)])).toEqual([]);
    // Bounded: a third run pushes out the oldest (r1), which would then be recorded again.
    expect(runs.newRuns([result('r3', 70)]).map((r) => r.runId)).toEqual(['r3']);
    expect(runs.newRuns([result('r1', 80)]).map((r) => r.runId)).toEqual(['r1']);
  });

  // Issue 26: a departed agent's runs leave memory after the forget time, not after 10 000 others.
  it('a run not heard of for the forget time is forgotten (its next result is recorded once more); a run still sending is kept', () => {
    let t = 0;
    const runs = new RunFacts(10_000, { afterMs: 1000, now: () => t });
    const result = (agent: string, run: string, ts: number) => ({ tags: { ...TAGS, agent, test: 'cpu' }, fields: { run_id: run }, timestamp_ns: String(ts) });
    expect(runs.newRuns([result('gone', 'g1', 1), result('live', 'l1', 1)])).toHaveLength(2);
    t = 999;
    expect(runs.newRuns([result('live', 'l1', 2)])).toEqual([]);
    t = 1000;
    expect(runs.newRuns([result('live', 'l1', 3)])).toEqual([]);
    expect(runs.size).toBe(1); // g1 idle 1000 ms: forgotten; l1 heard at 999
    t = 1998;
    expect(runs.newRuns([result('live', 'l1', 4)])).toEqual([]);
    expect(runs.newRuns([result('gone', 'g1', 5)]).map((r) => [r.tags.agent, r.runId, r.timeNs])).toEqual([['gone', 'g1', 5n]]);
    expect(runs.size).toBe(2);
  });
});
