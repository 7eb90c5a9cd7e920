// The parser's whole answer, pinned: every fixture's Invocation objects (fields, resolution,
// intervals, warnings, key order) as the parser gave them at dc45f35, before its speed-ups, and a
// digest of its answer to 2 000 mutated fixtures (seeded: reproducible). A faster parser must give
// these same objects (one answer per question). After an intended change of an answer, rewrite
// both files with `GOLDEN_UPDATE=1 npx vitest run agent/sysbench/parser/golden.test.ts` and say why
// in the commit; parser.test.ts's hand-typed values stay the independent check.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { mulberry32 } from '../../../lib/stats/random.js';
import { mutate } from '../../../test/support/mutate-text.js';
import { parseSysbenchOutputStrict } from './parse.js';

const DIR = new URL('../../../test/fixtures/sysbench/', import.meta.url);
const CORPUS = new URL('../../../test/fixtures/sysbench-golden/corpus.json', import.meta.url);
const MUTATED = new URL('../../../test/fixtures/sysbench-golden/mutated-digests.json', import.meta.url);
const UPDATE = process.env.GOLDEN_UPDATE === '1';
const ROUNDS = 50;

const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();
const texts = names.map((f) => readFileSync(new URL(f, DIR), 'utf8'));

// JSON keeps key order, so equal strings mean the same objects built in the same order.
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

test('every fixture parses to the pinned Invocation objects (resolution and key order included)', () => {
  const actual = Object.fromEntries(names.map((n, i) => [n, parseSysbenchOutputStrict(texts[i]!)]));
  if (UPDATE) writeFileSync(CORPUS, JSON.stringify(actual, null, 1) + '\n');
  const expected = JSON.parse(readFileSync(CORPUS, 'utf8')) as typeof actual;
  expect(Object.keys(actual)).toEqual(Object.keys(expected)); // a new fixture needs GOLDEN_UPDATE
  for (const n of names) {
    expect(actual[n], n).toStrictEqual(expected[n]);
    expect(JSON.stringify(actual[n]), n).toBe(JSON.stringify(expected[n]));
  }
});

test('mutated fixtures parse to the pinned answers (digest per text)', () => {
  const r = mulberry32(20261207);
  const actual: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    names.forEach((n, i) => actual[n]!.push(digest(parseSysbenchOutputStrict(mutate(texts[i]!, r)))));
  }
  if (UPDATE || !existsSync(MUTATED)) {
    if (!UPDATE) throw new Error(`${MUTATED.pathname} missing: run with GOLDEN_UPDATE=1`);
    writeFileSync(MUTATED, JSON.stringify(actual, null, 1) + '\n');
  }
  const expected = JSON.parse(readFileSync(MUTATED, 'utf8')) as typeof actual;
  // The first differing (fixture, round) is named: re-run mutate() with the seed to see the text.
  for (const n of names) {
    const bad = actual[n]!.findIndex((d, round) => d !== expected[n]?.[round]);
    expect(bad, `${n}: round ${bad} differs`).toBe(-1);
  }
});
