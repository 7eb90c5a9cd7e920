// The token bucket with a hand-driven clock: burst first, then exactly the steady rate.
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './ratelimit.js';

describe('TokenBucket', () => {
  it('allows the burst, then one message per 1/rate seconds, and says how long to pause', () => {
    let now = 1_000_000;
    const b = new TokenBucket(10, 3, () => now); // 10/s, burst 3
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(100); // 4th borrows the token due at +100 ms: pause until then
    now += 100;
    expect(b.take()).toBe(100); // 5th borrows the one due at +200 ms
    now += 100;
    expect(b.take()).toBe(100);
    now += 1000; // 10 tokens' worth, but the bucket holds at most 3
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([0, 0, 0, 100]);
  });

  it('obeyed pauses give exactly the rate: n messages past the burst take n/rate seconds', () => {
    let now = 0;
    const b = new TokenBucket(100, 400, () => now);
    let lastHandledAt = -1;
    for (let i = 0; i < 801; i++) {
      lastHandledAt = now;
      now += b.take(); // the stream waits as told before the next one
    }
    // 400 free; the 401st borrows, then one per 10 ms: the 801st is handled at 400 · 10 ms = 4.00 s.
    expect(lastHandledAt).toBe(4000);
  });
});
