// OwedWork and the overhead_owed marker line: batches run one at a time, in order; stop gives the
// running one a grace and returns what is left. Expected values worked out by hand.
import { describe, expect, it } from 'vitest';
import { OwedWork, owedMarkerLine } from './owed.js';
import type { WrittenResult } from './listener.js';

const r = (ns: string): WrittenResult => ({ tags: {}, fields: {}, timestamp_ns: ns });

describe('OwedWork', () => {
  it('computes batches one at a time, in order', async () => {
    const seen: string[] = [];
    const w = new OwedWork(async (rs) => {
      await new Promise((x) => setTimeout(x, 5));
      seen.push(rs.map((x) => x.timestamp_ns).join(','));
    });
    w.add([r('1'), r('2')]);
    w.add([r('3')]);
    await w.drained();
    expect(seen).toEqual(['1,2', '3']);
  });

  it('stop: a batch still running after the grace, and those queued, are returned as owed', async () => {
    let release!: () => void;
    const w = new OwedWork(() => new Promise<void>((x) => (release = x)));
    w.add([r('10')]);
    w.add([r('20'), r('30')]);
    const left = await w.stop(20);
    expect(left.map((x) => x.timestamp_ns)).toEqual(['10', '20', '30']);
    release();
    expect(w.isStopped).toBe(true);
  });

  it('stop: a batch that finishes within the grace is not owed', async () => {
    const w = new OwedWork(() => new Promise<void>((x) => setTimeout(x, 5)));
    w.add([r('1')]);
    expect(await w.stop(1000)).toEqual([]);
  });
});

describe('OwedWork is bounded (issue 23 item 4)', () => {
  it("says 'pressure' when the results queued or being computed reach the high water, 'relief' once below half, losing none", async () => {
    const releases: Array<() => void> = [];
    const computed: number[] = [];
    const w = new OwedWork(
      (rs) =>
        new Promise<void>((x) =>
          releases.push(() => {
            computed.push(rs.length);
            x();
          }),
        ),
      undefined,
      undefined,
      10,
    );
    const events: string[] = [];
    w.on('pressure', () => events.push(`pressure at ${w.queued()}`));
    w.on('relief', () => events.push(`relief at ${w.queued()}`));
    const batch = (n: number) => Array.from({ length: n }, (_, i) => r(String(i)));
    w.add(batch(4)); // running alone: 4 owed
    w.add(batch(4)); // 8
    expect(events).toEqual([]);
    w.add(batch(4)); // 12 ≥ 10
    expect(events).toEqual(['pressure at 12']);
    w.add(batch(4)); // 16: no second 'pressure'
    releases.shift()!(); // the first 4 done: 12 left, still ≥ 5
    await new Promise((x) => setImmediate(x));
    expect(events).toEqual(['pressure at 12']);
    releases.shift()!(); // the other three merged (12) done: 0 left
    await w.drained();
    expect(events).toEqual(['pressure at 12', 'relief at 0']);
    expect(computed).toEqual([4, 12]);
    expect(w.queued()).toBe(0);
  });
});

describe('owedMarkerLine', () => {
  it('holds the exact first and last timestamps as strings, and the count', () => {
    expect(owedMarkerLine(['1750000000000000007', '1750000000000000001', '1750000000000000009'], 5n)).toBe(
      'overhead_owed from_ns="1750000000000000001",to_ns="1750000000000000009",results=3 5',
    );
    expect(owedMarkerLine(['7'], 9n, 'host:12:34')).toBe('overhead_owed,collector=host:12:34 from_ns="7",to_ns="7",results=1 9');
  });
});

describe('OwedWork retries a failed computation', () => {
  it('a batch whose computation fails is tried again before the ones behind it, and counts as computed once it works', async () => {
    const seen: string[] = [];
    let failures = 2;
    const computed: string[] = [];
    const w = new OwedWork(
      async (rs) => {
        const name = rs.map((x) => x.timestamp_ns).join(',');
        seen.push(name);
        if (name === '1' && failures-- > 0) return false;
        return true;
      },
      { times: 3, delayMs: 1 },
    );
    w.add([r('1')], () => computed.push('1'));
    w.add([r('2')], () => computed.push('2'));
    await w.drained();
    expect(seen).toEqual(['1', '1', '1', '2']);
    expect(computed).toEqual(['1', '2']);
  });

  it('given up after `times` retries (counts as done); stopped between retries: still owed, not computed', async () => {
    const computed: string[] = [];
    let calls = 0;
    const counting = new OwedWork(
      async () => {
        calls++;
        return false;
      },
      { times: 2, delayMs: 1 },
    );
    counting.add([r('1')], () => computed.push('1'));
    await counting.drained();
    expect(calls).toBe(3);
    expect(computed).toEqual(['1']);

    const slow = new OwedWork(async () => false, { times: 5, delayMs: 50 });
    slow.add([r('7')], () => computed.push('7'));
    const left = await slow.stop(10);
    expect(left.map((x) => x.timestamp_ns)).toEqual(['7']);
    await slow.drained();
    expect(computed).toEqual(['1']); // 7 never counted as computed: its marker stays
  });
});

describe('OwedWork merges batches that queued up', () => {
  it('computes the batches queued behind the running one together, after the records between them, and settles each', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((x) => (release = x));
    const w = new OwedWork(async (rs) => {
      seen.push(rs.map((x) => x.timestamp_ns).join(','));
      if (seen.length === 1) await gate;
    });
    const computed: string[] = [];
    w.add([r('1')], () => computed.push('1'));
    w.add([r('2')], () => computed.push('2'));
    w.enqueue(async () => void seen.push('facts'));
    w.add([r('3'), r('4')], () => computed.push('3'));
    release();
    await w.drained();
    expect(seen).toEqual(['1', 'facts', '2,3,4']);
    expect(computed).toEqual(['1', '2', '3']);
  });

  it('a stop while merged batches wait returns all of them as owed', async () => {
    let release!: () => void;
    const w = new OwedWork(() => new Promise<void>((x) => (release = x)));
    w.add([r('1')]);
    w.add([r('2')]);
    w.add([r('3')]);
    await new Promise((x) => setTimeout(x, 5));
    release(); // batch 1 done; 2 and 3 now run merged and block
    await new Promise((x) => setTimeout(x, 5));
    expect((await w.stop(10)).map((x) => x.timestamp_ns)).toEqual(['2', '3']);
  });
});
