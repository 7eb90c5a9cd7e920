// schema/bounds.ts as the Markdown block of docs/schema.md ("What an agent may send"), between
// its two marker comments. schema/bounds.test.ts fails when the page and the table differ;
// `node scripts/bounds-doc.mjs` (after a build) writes the block again.
import { MAX_STEP, METRIC_RANGES, MIN_STEP, RESULT_RATE, SERIES_BUDGET, TAG_BUDGETS, TIME_BOUNDS, WIRE_BOUNDS, type Bound } from './bounds.js';

export const BEGIN = '<!-- bounds: generated from schema/bounds.ts by scripts/bounds-doc.mjs; do not edit by hand -->';
export const END = '<!-- /bounds -->';

const CHARSETS = {
  tag: 'printable, no backslash',
  text: 'printable',
  name: 'a-z 0-9 -',
  raw: 'any (unprintable replaced when stored)',
} as const;

const num = (n: number): string => (n >= 1e6 && 10 ** Math.round(Math.log10(n)) === n ? `1e${Math.round(Math.log10(n))}` : String(n));

function describe(b: Bound): string {
  switch (b.kind) {
    case 'text':
      return `${b.empty ? '0' : '1'}..${b.maxBytes} bytes, ${CHARSETS[b.charset]}`;
    case 'enum':
      return b.values.map((v) => `\`${v}\``).join(', ');
    case 'int':
      return `whole number ${num(b.min)}..${num(b.max)}`;
    case 'count':
      return `whole number 0..${b.max === 2 ** 52 ? '2^52' : num(b.max)}`;
    case 'bool':
      return 'true or false';
    case 'time':
      return `ns since 1970, up to 2262 (what InfluxDB stores)${b.unset ? '; 0 = not sent' : ''}`;
    case 'json':
      return `JSON, at most ${b.maxBytes / 1024} KiB`;
    case 'list':
      return `at most ${b.maxItems}, each ${describe(b.item)}`;
    case 'map':
      return `at most ${b.maxEntries} entries; key ${describe(b.key)}; value ${describe(b.value)}`;
    case 'metrics':
      return `known ${b.of} metrics only, each within its range (below)`;
    case 'steps':
      return `one per field of the result, ${MIN_STEP}..${MAX_STEP} (${MAX_STEP} = 2^20); a non-zero value is at least its step`;
    case 'noise':
      return 'known noise signals only (schema/noise.ts), each within its range';
    case 'message':
      return `the ${b.of} message${b.optional ? ' (may be absent)' : ''}`;
    case 'records':
      return `results and samples together at most ${b.maxTotal}`;
  }
}

export function renderBounds(): string {
  const lines = [BEGIN, '', '| field | bound |', '|---|---|'];
  for (const [message, fields] of Object.entries(WIRE_BOUNDS))
    for (const [field, bound] of Object.entries(fields) as Array<[string, Bound]>) lines.push(`| \`${message}.${field}\` | ${describe(bound)} |`);
  lines.push('', 'Metrics (`Result.fields`, `IntervalSample.fields`): 0, or from 1e-11 (the finest step sysbench prints) up to:', '');
  lines.push('| metric | at most | unit |', '|---|---:|---|');
  for (const [metric, r] of Object.entries(METRIC_RANGES)) lines.push(`| \`${metric}\` | ${num(r.max)} | ${r.unit} |`);
  lines.push('', 'Distinct values per credential (one agent id in one group), past which a hello or record is refused with RESOURCE_EXHAUSTED:', '');
  lines.push('| tag | values |', '|---|---:|');
  for (const [t, n] of Object.entries(TAG_BUDGETS)) lines.push(`| \`${t}\` | ${n} |`);
  lines.push(`| (series) | ${SERIES_BUDGET} |`);
  lines.push(
    '',
    `Results written per agent (a refused one does not count): ${RESULT_RATE.perSec} a second (the collector's \`--result-rate\`) after a burst of ${RESULT_RATE.burst}, on top of the collector's \`--rate-limit\` of messages; past it the agent's stream is paused (its acks slow down, nothing is refused).`,
  );
  lines.push(
    '',
    `Timestamps are stored when InfluxDB can store them; flagged with \`clock_skew_s\` when before 2000-01-01, more than ${TIME_BOUNDS.aheadS / 3600} h ahead of the collector's clock, or from an agent whose clock (\`Hello.clock_ns\`) is off by more than ${TIME_BOUNDS.clockToleranceS / 60} min.`,
    '',
    END,
  );
  return lines.join('\n');
}

/** The block as it stands in a page's text (markers included), or undefined when the page has none. */
export function boundsBlock(page: string): string | undefined {
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  return a < 0 || b < a ? undefined : page.slice(a, b + END.length);
}
