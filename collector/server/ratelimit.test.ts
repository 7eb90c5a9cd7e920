// The token bucket with a hand-driven clock: burst first, then the steady rate.
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './ratelimit.js';

describe('TokenBucket', () => {
  it('allows the burst, then one message per 1/rate seconds, and says how long to wait', () => {
    let now = 1_000_000;
    const b = new TokenBucket(10, 3, () => now); // 10/s, burst 3
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(100); // empty: the next token in 1/10 s
    now += 100;
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(100);
    now += 1000; // 10 tokens' worth, but the bucket holds at most 3
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([0, 0, 0, 100]);
  });
});
