// The months bench's pure parts (bench/panels.bench.ts): its options, the agents it simulates,
// the title that names its size, and the goal of its rows over the year.
import { resolve } from 'node:path';
import { argValue, countArg } from './args.js';

export interface PanelsOptions {
  /** Groups of guests (default 1), each with its own baseline agent. */
  groups?: number;
  /** Guests in each group (default 100). */
  guestsPerGroup?: number;
  /** Where the loaded influxd directory is kept after the run (it must not exist yet); by default it is removed. */
  keepDir?: string;
}

/** `--panels-groups=G --panels-guests=N --panels-keep=DIR` (bench/args.ts checks the names). */
export function panelsOptionsFromArgv(argv: readonly string[]): PanelsOptions {
  const o: PanelsOptions = {};
  const groups = countArg(argv, 'panels-groups');
  if (groups !== undefined) o.groups = groups;
  const guests = countArg(argv, 'panels-guests');
  if (guests !== undefined) o.guestsPerGroup = guests;
  const keep = argValue(argv, 'panels-keep');
  if (keep !== undefined) o.keepDir = resolve(keep);
  return o;
}

export interface PanelsAgent {
  agent: string;
  group: string;
  role: 'baseline' | 'guest';
  /** Its group's baseline agent. */
  baseline: string;
  /** Its place in the whole list: seeds its simulated overhead and its noise. */
  index: number;
}

/**
 * The simulated agents: per group its baseline, then its guests. One group keeps the names (and
 * so the seeds and the data) the 100-guest section always had: group bench, baseline native,
 * guests g000…; with several, group benchK and baseline nativeK, guests numbered across groups.
 */
export function panelsAgents(groups: number, guestsPerGroup: number): PanelsAgent[] {
  const one = groups === 1;
  const width = Math.max(3, String(groups * guestsPerGroup - 1).length);
  const out: PanelsAgent[] = [];
  for (let k = 0; k < groups; k++) {
    const group = one ? 'bench' : `bench${k}`;
    const baseline = one ? 'native' : `native${k}`;
    out.push({ agent: baseline, group, role: 'baseline', baseline, index: out.length });
    for (let g = 0; g < guestsPerGroup; g++)
      out.push({ agent: `g${String(k * guestsPerGroup + g).padStart(width, '0')}`, group, role: 'guest', baseline, index: out.length });
  }
  return out;
}

export const spaced = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

/** The section's title names its size, so each size has its own section in docs/BENCHMARKS.md (merged by title). */
export function panelsTitle(groups: number, guestsPerGroup: number): string {
  const guests = `${spaced(groups * guestsPerGroup)} guests`;
  return `Months of data: every dashboard and the report over a simulated year of ${groups === 1 ? guests : `${guests} in ${groups} groups`}`;
}

/**
 * The goal of a row over the year: the months bench's 1 s for its own 100 guests in one group
 * (issue 14; stricter than issue 26's), issue 26's 2 s for any other size (its 1 000 guests).
 * At a dashboard's default range, and for the report over 7 and 30 days, the goal is 1 s.
 */
export function yearGoalMs(groups: number, guestsPerGroup: number): number {
  return groups === 1 && guestsPerGroup === 100 ? 1000 : 2000;
}
