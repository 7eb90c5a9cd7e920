// Mutates and truncates every fixture thousands of times (fixed seed): the parser must never
// throw, never yield NaN/Infinity, and only call a run ok when it printed statistics.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { INTERVAL_FIELDS, RESULT_FIELDS, type Invocation } from '../fields.js';
import { parseIntervalLine } from './interval.js';
import { parseSysbenchOutputStrict } from './parse.js';
import { mulberry32 } from '../../../lib/stats/random.js';

const DIR = new URL('../../../test/fixtures/sysbench/', import.meta.url);
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(new URL(f, DIR), 'utf8'));

// mulberry32 (lib/stats/random.ts): deterministic, so a failure reproduces exactly.
const rng = mulberry32;
const NASTY = [
  '\r',
  '\n',
  ':',
  '.',
  '9',
  'e',
  '-',
  'ms',
  's',
  '/',
  '[',
  ']',
  '%',
  '(',
  ')',
  'Infinity',
  'NaN',
  '1e999',
  '9'.repeat(400),
  '\u0000',
  'µ',
  'WARNING: x',
  'FATAL: y',
  'sysbench 1.0.20 (x)',
  'Latency (ms):',
  'Threads fairness:',
];

function mutate(text: string, r: () => number): string {
  let s = text;
  const ops = 1 + Math.floor(r() * 6);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0:
        s = s.slice(0, at);
        break; // cut off
      case 1:
        s = s.slice(0, at) + NASTY[Math.floor(r() * NASTY.length)] + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 40));
        break;
      case 3: {
        const lines = s.split('\n');
        const i = Math.floor(r() * lines.length);
        lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!);
        s = lines.join('\n');
        break;
      }
      case 4: {
        const lines = s.split('\n');
        s = lines.map((l) => (r() < 0.3 ? l.trim() : l)).join(r() < 0.5 ? '\r\n' : '\n');
        break;
      }
      default:
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at + 1);
    }
  }
  return s;
}

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
  const r = rng(20261126);
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
