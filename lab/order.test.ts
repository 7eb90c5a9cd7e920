import { describe, expect, it } from 'vitest';
import { balancedOrder } from './order.js';

describe('balancedOrder: A and B interleaved, randomised and balanced', () => {
  it('two variants: every pair of rounds is AB·BA or BA·AB, so each variant runs as often early as late', () => {
    for (let seed = 0; seed < 50; seed++) {
      const order = balancedOrder(['A', 'B'], 4, seed).map((r) => r.join(''));
      expect(['AB', 'BA']).toContain(order[0]);
      expect(order[1]).toBe([...order[0]!].reverse().join(''));
      expect(order[3]).toBe([...order[2]!].reverse().join(''));
      // Position balance: over the rounds each variant is first exactly half the time.
      expect(order.filter((r) => r[0] === 'A')).toHaveLength(2);
    }
  });
  it('random: both orders occur; the same seed gives the same order', () => {
    const firsts = new Set(Array.from({ length: 40 }, (_, seed) => balancedOrder(['A', 'B'], 2, seed)[0]!.join('')));
    expect(firsts).toEqual(new Set(['AB', 'BA']));
    expect(balancedOrder(['A', 'B', 'C'], 3, 7)).toEqual(balancedOrder(['A', 'B', 'C'], 3, 7));
    expect(balancedOrder(['A', 'B', 'C'], 3, 7).every((r) => [...r].sort().join('') === 'ABC')).toBe(true);
  });
  it('one round is one permutation; rounds must be a whole number ≥ 1', () => {
    expect(balancedOrder(['A'], 1, 1)).toEqual([['A']]);
    expect(() => balancedOrder(['A', 'B'], 0, 1)).toThrow(/rounds/);
  });
});
