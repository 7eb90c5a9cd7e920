// mulberry32: a small seeded pseudo-random generator, for simulations and fuzzing that must
// give the same figures (or reproduce the same failure) on every run. Not for secrets.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from two uniform draws of `rand` (Box–Muller): seeded simulations only. */
export function normal(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: log(0) would be −∞
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
