// Reconnect delays: full jitter under a ceiling that doubles per failure and stops at 60 s.
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling from the base up to the cap, draws uniformly below it, and resets', () => {
    const top = new Backoff(500, 60_000, () => 1); // always the ceiling
    // 500·2^k: 500, 1000, ..., 32 000, then capped at 60 000.
    expect(Array.from({ length: 9 }, () => top.next())).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    top.reset();
    expect(top.next()).toBe(500);
    const half = new Backoff(100, 60_000, () => 0.5);
    expect([half.next(), half.next(), half.next()]).toEqual([50, 100, 200]);
    const zero = new Backoff(100, 60_000, () => 0);
    expect(zero.next()).toBe(0);
  });

  it('never exceeds the cap, even after very many failures', () => {
    const b = new Backoff(500, 60_000, () => 0.999999);
    let max = 0;
    for (let i = 0; i < 1000; i++) max = Math.max(max, b.next());
    expect(max).toBeLessThanOrEqual(60_000);
    expect(max).toBeGreaterThan(59_000);
  });
});
