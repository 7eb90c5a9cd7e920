// lab --nested's plan without booting anything: the command L1 runs, L2's budget and the
// result line L1 prints for the outer lab.
import { describe, expect, it } from 'vitest';
import { validateProfile, BUILTIN_PROFILES } from '../agent/sysbench/profiles.js';
import { l1Command, l2MemoryMiB, l2ProfileJson, l2TimeoutMs, parseL2Result } from './nested-plan.js';
import type { LabPlan } from './plan.js';

const plan: LabPlan = {
  accels: ['tcg'],
  qemus: [{ name: 'default', binary: 'qemu-system-x86_64' }],
  profile: 'quick',
  trials: 2,
  vcpus: 2,
  memoryMiB: 2048,
  group: 'g',
  collector: '127.0.0.1:5',
  workDir: '/w',
  keepGoing: false,
  log: () => {},
};

describe('lab --nested plan', () => {
  it('L1 runs its agent with its parent, then the L2 launcher whose agent names L1 and runs cpu + memory', () => {
    const cmd = l1Command(plan, 'tcg', plan.qemus[0]!, '/cache', '/w/l2-profile.json');
    const [l1, inner, exit] = cmd.split('\n');
    expect(l1).toMatch(/ agent --once .*--agent-id lab-tcg-default .*--parent lab-native --declare nesting=L1; a=\$\?$/);
    expect(inner).toContain('dist/lab/nested-inner.js');
    expect(exit).toBe('exit $a');
    const spec = JSON.parse(inner!.slice(inner!.indexOf("'") + 1, inner!.lastIndexOf("'")));
    expect(spec).toMatchObject({ vcpus: 2, memoryMiB: 1024, cacheDir: '/cache', qemuBinary: 'qemu-system-x86_64', hostname: 'lab-tcg-default-l2' });
    expect(spec.command).toMatch(
      /--agent-id lab-tcg-default-l2 .*--profile \/w\/l2-profile.json .*--tests cpu,memory .*--parent lab-tcg-default --declare nesting=L2/,
    );
    expect(spec.command).toContain('--collector 10.0.2.100:50051');
  });

  it("L2 gets half of L1's memory within [256, 1024] MiB and ten times a TCG guest's time", () => {
    expect([l2MemoryMiB(512), l2MemoryMiB(2048), l2MemoryMiB(8192)]).toEqual([256, 1024, 1024]);
    // quick cpu 60 s + memory 120 s per trial, 2 trials, + 180 s boot = 540 s; × 10.
    expect(l2TimeoutMs(2)).toBe(5_400_000);
  });

  it("L2 profile: named quick with quick's cpu and memory settings, only the time-outs ×10", () => {
    const p = validateProfile(JSON.parse(l2ProfileJson()), 'l2-profile.json');
    const quick = BUILTIN_PROFILES.quick!;
    expect(p.name).toBe('quick');
    expect(Object.keys(p.tests)).toEqual(['cpu', 'memory']);
    for (const t of ['cpu', 'memory'] as const) expect(p.tests[t]).toEqual({ ...quick.tests[t], timeoutS: quick.tests[t]!.timeoutS * 10 });
  });

  it("reads the L2 result line from L1's output", () => {
    expect(parseL2Result('x\n[L2] noise\nLAB_L2_RESULT {"ok":true,"exitCode":0,"durationMs":5,"detail":"d"}\n')).toEqual({
      ok: true,
      exitCode: 0,
      durationMs: 5,
      detail: 'd',
    });
    expect(parseL2Result('no marker')).toBeNull();
    expect(parseL2Result('LAB_L2_RESULT {broken')).toBeNull();
  });
});
