// The arguments of `npm run bench` (bench/run.ts), checked before any benchmark starts.
export const USAGE = `usage: npm run bench -- [--only=NAME[,NAME...]] [--dist=DIR] [--fleet-full] [--fleet-groups=N]
  [--fleet-guests=N] [--fleet-days=N] [--fleet-chunk-days=N] [--fleet-budget=MIN] [--fleet-label=TEXT]
  [--fleet-keep=DIR] [--fleet-data=DIR] [--fleet-repeats=N] [--ingest-pairs=K] [--ingest-agents=N[,N...]]
  [--catchup-groups=N] [--catchup-guests=N] [--catchup-days=N] [--catchup-label=TEXT]
  [--panels-groups=N] [--panels-guests=N] [--panels-keep=DIR]
Runs the benchmarks (all of them without --only) and rewrites docs/BENCHMARKS.md with their figures.`;
const VALUED = [
  'only',
  'dist',
  'fleet-groups',
  'fleet-guests',
  'fleet-days',
  'fleet-chunk-days',
  'fleet-budget',
  'fleet-label',
  'fleet-keep',
  'fleet-data',
  'fleet-repeats',
  'ingest-pairs',
  'ingest-agents',
  'catchup-groups',
  'catchup-guests',
  'catchup-days',
  'catchup-label',
  'panels-groups',
  'panels-guests',
  'panels-keep',
];
const FLAGS = ['fleet-full'];
export class UsageError extends Error {}

/**
 * Every argument must be one the benchmarks read: an unknown one (a typo, `--help` before it was
 * understood) used to start every benchmark for most of an hour and rewrite docs/BENCHMARKS.md.
 */
export function benchArgs(argv: readonly string[], names: readonly string[]): 'help' | { only?: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const ok = m && (m[2] === undefined ? FLAGS.includes(m[1]!) : VALUED.includes(m[1]!) && m[2] !== '');
    if (!ok) throw new UsageError(`${arg}: not an option of the benchmarks\n${USAGE}`);
  }
  const only = argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  const unknown = only?.filter((n) => !names.includes(n)) ?? [];
  if (unknown.length) throw new UsageError(`--only: no benchmark named ${unknown.join(', ')}; there are: ${names.join(', ')}`);
  return only ? { only } : {};
}

/** `--name=N` as a whole number ≥ 1, or undefined without it; anything else is a UsageError naming it. */
export function countArg(argv: readonly string[], name: string): number | undefined {
  const v = argValue(argv, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}=${v}: a whole number ≥ 1, please`);
  return n;
}

/** The value of `--name=VALUE` in argv (the first one), or undefined. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
