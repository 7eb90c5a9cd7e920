// The number helpers' shortcuts against the formulas they replace (one answer): printedStep's
// step table against scale(10^-decimals, factor) computed afresh, and durationToMs's skip of
// scale(value, 1) for short bare-ms numbers against scale itself, over seeded random numbers.
import { expect, test } from 'vitest';
import { mulberry32 } from '../../../lib/stats/random.js';
import { durationToMs, printedStep, scale, toMiB } from './numbers.js';

const direct = (decimals: number, factor: number) => {
  const s = scale(10 ** -decimals, factor);
  return Number.isFinite(s) && s > 0 ? s : undefined;
};

test('printedStep: every (factor, decimals) step, first and second (tabled) call, equals scale(10^-decimals, factor)', () => {
  const units = ['b', 'Kb', 'Mb', 'Gb', 'Tb', 'KiB', 'MiB', 'GiB', 'MB', 'KB', 'GB'];
  const factors = [1, 1000, 1e-3, 1e-6, ...units.map((u) => toMiB(1, u)!), 7, 1e300];
  for (const factor of factors) {
    for (let decimals = 0; decimals <= 80; decimals++) {
      const text = decimals === 0 ? '42' : `4.${'7'.repeat(decimals)}`;
      for (let call = 0; call < 2; call++) expect(printedStep(text, factor), `${text} x ${factor}`).toBe(direct(decimals, factor));
    }
  }
  // Values read by hand: the parser's documented examples.
  expect(printedStep('0.27')).toBe(0.01);
  expect(printedStep(' 46.1087', 1000)).toBe(0.1);
  expect(printedStep('12.202', toMiB(1, 'Gb'))).toBe(1.024);
  expect(printedStep('x')).toBeUndefined();
});

test('durationToMs: a bare ms number reads as scale(value, 1) at every length (the skip covers up to 12 characters)', () => {
  const r = mulberry32(20261207);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
  let skipped = 0;
  for (let k = 0; k < 20000; k++) {
    const int = digits(1 + Math.floor(r() * 10));
    const frac = r() < 0.2 ? '' : digits(Math.floor(r() * 10));
    const text = (r() < 0.1 ? '-' : '') + int + (frac || r() < 0.5 ? '.' : '') + frac;
    if (text.length <= 12) skipped++;
    expect(Object.is(durationToMs(text), scale(Number(text), 1)), text).toBe(true);
  }
  expect(skipped).toBeGreaterThan(5000); // both sides of the 12-character line were drawn
  for (const text of ['999999999999', '0.0000000001', '-0.00', '9999999999.99', '0.1234567890123', '18446744073709.55'])
    expect(Object.is(durationToMs(text), scale(Number(text), 1)), text).toBe(true);
  expect(durationToMs('0.1234567890123')).toBe(0.123456789012); // 13 digits: rounded to 12, as before
});
