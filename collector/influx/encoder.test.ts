// The stream encoder reuses its last series key (issue 26): records of series that alternate
// must each get their own key. Expected lines are written out by hand here (tag order, escaping),
// and the content hash is computed with node:crypto, not with the code under test.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IntervalSample__Output } from '../../proto/index.js';
import { guestHello as hello } from './hello.fixture.js';
import { identityTags, StreamEncoder } from './points.js';

const sample = (id: string, profile: string, ts: string) =>
  ({
    id,
    timestamp_ns: ts,
    run_id: 'run1',
    test: 'cpu',
    profile,
    trial: 1,
    sysbench_version: '1.0.20',
    fields: { elapsed_s: 1, events_per_sec: 99.5 },
  }) as unknown as IntervalSample__Output;

const keyOf = (escapedProfile: string) =>
  `sysbench_interval,agent=a1,container=none,group=g,host=h1,kvm=usable,profile=${escapedProfile},role=guest,sysbench_version=1.0.20,test=cpu,variant=default,virt=kvm`;

function expectedLine(escapedProfile: string, id: string, ts: string, tail = ''): string {
  const key = keyOf(escapedProfile);
  const fields = `elapsed_s=1,events_per_sec=99.5,run_id="run1",sample_id="${id}",trial=1`;
  const hash = createHash('sha256').update(`${key} ${fields} ${ts}`).digest('base64url').slice(0, 22);
  return `${key} ${fields},content_hash="${hash}"${tail} ${ts}`;
}

describe('StreamEncoder', () => {
  it('gives each record its own series key when series alternate (the last-key shortcut)', () => {
    const enc = new StreamEncoder(identityTags(hello));
    const series: Array<[string, string]> = [
      ['p a', 'p\\ a'],
      ['p,b', 'p\\,b'],
      ['p a', 'p\\ a'],
      ['p=c', 'p\\=c'],
      ['pé', 'pé'],
      ['p a', 'p\\ a'],
      ['p a', 'p\\ a'],
    ];
    series.forEach(([profile, escaped], i) => {
      const ts = String(1_765_000_000_000_000_000n + BigInt(i));
      const p = enc.sample(sample(`s${i}`, profile, ts));
      expect(p.line).toBe(expectedLine(escaped, `s${i}`, ts));
      expect(p.stamp?.key).toBe(keyOf(escaped));
      expect(p.flagged).toBe(false);
    });
  });

  it('flags a record with a clock skew, after its hash', () => {
    const enc = new StreamEncoder(identityTags(hello));
    const p = enc.sample(sample('s1', 'p', '1765000000000000000'), 90_000);
    expect(p.line).toBe(expectedLine('p', 's1', '1765000000000000000', ',clock_skew_s=90000'));
    expect(p.flagged).toBe(true);
  });
});
