// readAhead: one read in flight ahead of the caller, in order; failures handed over as values,
// and a read given up on never an unhandled rejection. Reads are deferred promises the test
// resolves by hand, so the order is the code's, not the clock's.
import { describe, expect, it, vi } from 'vitest';
import { readAhead, valueOf } from './read-ahead.js';

function deferredReads<C>() {
  const log: string[] = [];
  const pending = new Map<C, { resolve: (v: string) => void; reject: (e: unknown) => void }>();
  const read = (c: C) =>
    new Promise<string>((resolve, reject) => {
      log.push(`send ${String(c)}`);
      pending.set(c, { resolve, reject });
    });
  return { log, pending, read };
}

const tick = () => new Promise((r) => setImmediate(r));
/** Every callback that can run without a read's answer has run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await tick();
};

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readAhead', () => {
  it('sends the next read once this one is answered, while the caller works on this one', async () => {
    const { log, pending, read } = deferredReads<number>();
    const seen: string[] = [];
    const done = (async () => {
      for await (const { chunk, answer } of readAhead([1, 2, 3], read)) {
        log.push(`work ${chunk} ${valueOf(answer)}`);
        seen.push(valueOf(answer));
        await tick();
        log.push(`worked ${chunk}`);
      }
    })();
    await settle();
    expect(log).toEqual(['send 1']); // one read ahead, not all three
    pending.get(1)!.resolve('a');
    await settle();
    // 2 asked for before 1 is worked on; 3 not before 2 is answered, though 1 is done
    expect(log).toEqual(['send 1', 'send 2', 'work 1 a', 'worked 1']);
    pending.get(2)!.resolve('b');
    await settle();
    expect(log.slice(4)).toEqual(['send 3', 'work 2 b', 'worked 2']);
    pending.get(3)!.resolve('c');
    await done;
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 1', 'send 2', 'send 3']);
  });

  it('hands a failed read over as its error and goes on to the next chunk', async () => {
    const read = (c: number) => (c === 2 ? Promise.reject(new Error('influx said no')) : Promise.resolve(c * 10));
    const out: Array<number | string> = [];
    for await (const { answer } of readAhead([1, 2, 3], read)) out.push('error' in answer ? answer.error.message : answer.value);
    expect(out).toEqual([10, 'influx said no', 30]);
    const thrower = (): Promise<number> => {
      throw 'not an Error';
    };
    const [first] = await all(readAhead([1], thrower));
    expect(() => valueOf(first!.answer)).toThrow('not an Error');
  });

  it('a read sent ahead and given up on is not an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const read = (c: number) => (c === 1 ? Promise.resolve(1) : Promise.reject(new Error(`chunk ${c} failed`)));
      await expect(
        (async () => {
          for await (const { answer } of readAhead([1, 2, 3], read)) {
            valueOf(answer);
            throw new Error('caller stopped');
          }
        })(),
      ).rejects.toThrow('caller stopped');
      await tick();
      await tick();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('no chunks: no reads', async () => {
    const read = vi.fn(() => Promise.resolve(0));
    expect(await all(readAhead([], read))).toEqual([]);
    expect(read).not.toHaveBeenCalled();
  });
});
