// The order the lab boots its variants in (issue 22 item 5): A and B interleaved, randomised and
// balanced (ABBA…), so that whatever drifts on the host while the lab runs — its temperature, a
// neighbour, the page cache — falls on both variants alike instead of on whichever ran last. Each
// pair of rounds is a random permutation followed by its reverse (AB·BA or BA·AB for two
// variants); the seed is printed, so an order can be told and repeated.
import { mulberry32 } from '../lib/stats/random.js';

/** `rounds` rounds of `variants`, each a permutation; odd rounds reverse the round before. */
export function balancedOrder<T>(variants: readonly T[], rounds: number, seed: number): T[][] {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be an integer ≥ 1, got ${rounds}`);
  const rand = mulberry32(seed);
  const out: T[][] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 1) {
      out.push([...out[r - 1]!].reverse());
      continue;
    }
    const perm = [...variants];
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    out.push(perm);
  }
  return out;
}
