// Mutates and truncates every fixture thousands of times (fixed seed): the parser must never
// throw, never yield NaN/Infinity, and only call a run ok when it printed statistics.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { INTERVAL_FIELDS, RESULT_FIELDS, type Invocation } from '../fields.js';
import { parseIntervalLine } from './interval.js';
import { parseSysbenchOutputStrict } from './parse.js';
import { mulberry32 } from '../../../lib/stats/random.js';
import { mutate } from '../../../test/support/mutate-text.js';

const DIR = new URL('../../../test/fixtures/sysbench/', import.meta.url);
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(new URL(f, DIR), 'utf8'));

// Plain checks (vitest's expect is too slow for ~100k assertions); a failure names the rule.
function fail(rule: string, inv: unknown): never {
  throw new Error(`${rule}: ${JSON.stringify(inv).slice(0, 500)}`);
}
function checkInvocations(result: Invocation[]): void {
  for (const inv of result) {
    for (const [name, v] of Object.entries(inv.fields)) {
      if (!(RESULT_FIELDS as readonly string[]).includes(name)) fail(`unknown field ${name}`, inv);
      if (!Number.isFinite(v)) fail(`non-finite ${name}`, inv);
    }
    for (const iv of inv.intervals) {
      for (const [name, v] of Object.entries(iv)) {
        if (!(INTERVAL_FIELDS as readonly string[]).includes(name)) fail(`unknown interval field ${name}`, iv);
        if (!Number.isFinite(v)) fail(`non-finite interval ${name}`, iv);
      }
    }
    if (inv.threads !== null && !Number.isFinite(inv.threads)) fail('non-finite threads', inv);
    if (inv.ok && inv.errors.length > 0) fail('ok with errors', inv);
    if (inv.ok && inv.phase === 'run' && Object.keys(inv.fields).length === 0) fail('ok run without statistics', inv);
  }
}

test('mutated and truncated fixtures never throw or yield non-finite numbers', () => {
  const r = mulberry32(20261126); // deterministic, so a failure reproduces exactly
  let runs = 0;
  for (let round = 0; round < 150; round++) {
    for (const text of fixtures) {
      const mutated = mutate(text, r);
      checkInvocations(parseSysbenchOutputStrict(mutated));
      for (const line of mutated.split('\n')) {
        const iv = parseIntervalLine(line);
        if (iv) for (const v of Object.values(iv)) if (!Number.isFinite(v)) fail('non-finite interval', iv);
      }
      runs++;
    }
  }
  expect(runs).toBe(150 * fixtures.length);
});

test('every prefix of a fixture parses (output cut anywhere)', () => {
  const text = fixtures.find((t) => t.includes('Removing test files') && t.includes('bytes written'))!;
  for (let i = 0; i <= text.length; i += 7) checkInvocations(parseSysbenchOutputStrict(text.slice(0, i)));
});
