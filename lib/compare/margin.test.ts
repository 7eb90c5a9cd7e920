import { describe, expect, it } from 'vitest';
import { chooseMargin, noiseFloorPct, parseMarginSpec } from './margin.js';

describe('margin', () => {
  it('noise floor: 1.96·√2·SD(run means)/mean·100, by hand for 99, 100, 101 (SD 1) → 2.7719 %', () => {
    expect(noiseFloorPct([99, 100, 101])).toBeCloseTo(1.96 * Math.SQRT2 * 1, 10);
    expect(noiseFloorPct([99, 100])).toBeNull(); // fewer than 3 runs
  });
  it('user beats noise floor beats default; never below 1 %', () => {
    expect(chooseMargin([99, 100, 101], 7)).toMatchObject({ marginPct: 7, source: 'user' });
    expect(chooseMargin([99, 100, 101])).toMatchObject({ marginPct: 2.77, source: 'noise-floor' });
    expect(chooseMargin([100, 100.01, 100.02])).toMatchObject({ marginPct: 1, source: 'noise-floor' });
    expect(chooseMargin([100])).toMatchObject({ marginPct: 3, source: 'default', noiseFloorPct: null });
  });
  it('--margin: a bare number for every group, group=pct per group', () => {
    expect(parseMarginSpec('2')).toEqual({ marginPct: 2, groupMargins: {} });
    expect(parseMarginSpec('3, lab=2,prod=5%')).toEqual({ marginPct: 3, groupMargins: { lab: 2, prod: 5 } });
    expect(() => parseMarginSpec('lab=')).toThrow(/not a percentage/);
    expect(() => parseMarginSpec('=2')).toThrow(/names no group/);
    expect(() => parseMarginSpec('lab=-1')).toThrow(/not a percentage/);
  });
});
