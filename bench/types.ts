// What every benchmark returns: named figures, some with a goal and whether this run met it.
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  /** 'not shown': measured, but the interval straddles the goal (bench/paired-ratio.ts). */
  met?: boolean | 'not shown';
}

/** One section of docs/BENCHMARKS.md: figures plus how they were measured and what limits them. */
export interface BenchSection {
  title: string;
  /** How it was measured (method, sizes, what runs where). */
  method: string;
  results: BenchResult[];
  /** Observations from this run: bottlenecks, noise, limits of unmet goals. */
  notes: string[];
}
