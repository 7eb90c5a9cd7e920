// The equivalence margin ±m: the difference that matters. It is a decision about the workload,
// made before looking at the data — never derived from the data being judged (a margin taken
// from a noisy baseline grew with the noise and called a 20 % slowdown "equivalent"). Defaults
// per test and metric are each test type's `margins` (schema/test-types.ts; none above 10 %); a
// user sets it per group, per test or both: `--margin 5,lab=3,cpu=2,lab:fileio=10`. The measured
// noise floor is shown beside it, and a noise floor above the margin keeps the verdict from
// `equivalent` (compare.ts).
import { TEST_TYPES, TESTS, isTestName, type TestName } from '../../schema/test-types.js';

/** The largest default margin: beyond 10 % "equivalent" would hide differences users act on. */
export const MAX_DEFAULT_MARGIN_PCT = 10;
/** For a metric its test's row does not name. */
export const FALLBACK_MARGIN_PCT = 10;

/** What difference matters, per test and metric (percent): each test type's `margins`, where the reasons are. */
export const DEFAULT_MARGINS: Readonly<Record<TestName, Readonly<Record<string, number>>>> = Object.fromEntries(
  TESTS.map((t) => [t, TEST_TYPES[t].margins]),
) as Record<TestName, Readonly<Record<string, number>>>;

/** The headline default (cpu events/s); change detection takes it as the smallest change worth reporting. */
export const DEFAULT_MARGIN_PCT = DEFAULT_MARGINS.cpu.events_per_sec!;

/** The default margin of one test's metric. */
export function defaultMargin(test: string, metric: string): number {
  return (DEFAULT_MARGINS as Record<string, Readonly<Record<string, number>> | undefined>)[test]?.[metric] ?? FALLBACK_MARGIN_PCT;
}

export type MarginSource = 'user' | 'default';

export interface Margin {
  marginPct: number;
  source: MarginSource;
  /** Which setting gave it: `lab:cpu`, `lab`, `cpu`, `*` (every group and test) or `table` (the default). */
  rule: string;
}

/** What `--margin` sets; the most specific entry wins: group:test, then group, then test, then every. */
export interface MarginSpec {
  all?: number;
  groups: Record<string, number>;
  tests: Record<string, number>;
  groupTests: Record<string, number>;
}

/**
 * Parses `--margin`: `5` (everything), `lab=3` (a group), `cpu=2` (a test: a name that is a test
 * name means the test), `lab:fileio=10` (a test in a group), `cpu:*=4` (a group that is called
 * like a test). Percent in [0, 100); a trailing `%` is allowed.
 */
export function parseMarginSpec(text: string): MarginSpec {
  const out: MarginSpec = { groups: {}, tests: {}, groupTests: {} };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const [key, value] = eq < 0 ? [null, part] : [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    const pct = Number(value.replace(/%$/, ''));
    if (value === '' || !Number.isFinite(pct) || pct < 0 || pct >= 100)
      throw new Error(`margin: '${part}' is not a percentage in [0, 100) (e.g. 5, lab=3, cpu=2, lab:fileio=10)`);
    if (key === null) {
      out.all = pct;
      continue;
    }
    if (key === '') throw new Error(`margin: '${part}' names no group or test`);
    const colon = key.indexOf(':');
    if (colon < 0) {
      if (isTestName(key)) out.tests[key] = pct;
      else out.groups[key] = pct;
      continue;
    }
    const [group, test] = [key.slice(0, colon).trim(), key.slice(colon + 1).trim()];
    if (group === '') throw new Error(`margin: '${part}' names no group before ':'`);
    if (test === '*') out.groups[group] = pct;
    else if (isTestName(test)) out.groupTests[`${group}:${test}`] = pct;
    else throw new Error(`margin: '${part}': '${test}' is not a test (${TESTS.join(', ')}, or * for the whole group)`);
  }
  return out;
}

/** The margin of one comparison: the most specific user setting, else the default table's. */
export function marginFor(spec: MarginSpec | undefined, group: string | undefined, test: string, metric: string): Margin {
  const user = (rule: string, pct: number | undefined): Margin | null => (pct === undefined ? null : { marginPct: pct, source: 'user', rule });
  return (
    (group !== undefined ? user(`${group}:${test}`, spec?.groupTests[`${group}:${test}`]) : null) ??
    (group !== undefined ? user(group, spec?.groups[group]) : null) ??
    user(test, spec?.tests[test]) ??
    user('*', spec?.all) ?? { marginPct: defaultMargin(test, metric), source: 'default', rule: 'table' }
  );
}
