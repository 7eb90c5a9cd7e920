import { describe, expect, it } from 'vitest';
import { DEFAULT_MARGINS, MAX_DEFAULT_MARGIN_PCT, defaultMargin, marginFor, parseMarginSpec } from './margin.js';
import { KEY_METRICS } from '../../schema/metrics.js';

describe('margin: a table decided before the data, never derived from it', () => {
  it('every default is at most 10 %, and every headline metric has its own row', () => {
    for (const [test, row] of Object.entries(DEFAULT_MARGINS)) {
      for (const pct of Object.values(row)) expect(pct).toBeLessThanOrEqual(MAX_DEFAULT_MARGIN_PCT);
      for (const metric of KEY_METRICS[test as keyof typeof KEY_METRICS]) expect(row[metric], `${test} ${metric}`).toBeGreaterThan(0);
    }
    expect(defaultMargin('cpu', 'events_per_sec')).toBe(3);
    expect(defaultMargin('cpu', 'latency_max_ms')).toBe(10); // a metric the row does not name
  });
  it('--margin 5,lab=3,cpu=2,lab:fileio=10: group:test, then group, then test, then every', () => {
    const spec = parseMarginSpec('5,lab=3,cpu=2,lab:fileio=10');
    expect(spec).toEqual({ all: 5, groups: { lab: 3 }, tests: { cpu: 2 }, groupTests: { 'lab:fileio': 10 } });
    expect(marginFor(spec, 'lab', 'fileio', 'read_mib_per_sec')).toEqual({ marginPct: 10, source: 'user', rule: 'lab:fileio' });
    expect(marginFor(spec, 'lab', 'cpu', 'events_per_sec')).toEqual({ marginPct: 3, source: 'user', rule: 'lab' });
    expect(marginFor(spec, 'prod', 'cpu', 'events_per_sec')).toEqual({ marginPct: 2, source: 'user', rule: 'cpu' });
    expect(marginFor(spec, 'prod', 'mutex', 'total_time_s')).toEqual({ marginPct: 5, source: 'user', rule: '*' });
    expect(marginFor(undefined, 'prod', 'mutex', 'total_time_s')).toEqual({ marginPct: 10, source: 'default', rule: 'table' });
  });
  it('a group called like a test is written group:*', () => {
    expect(parseMarginSpec('cpu:*=4, 2%')).toEqual({ all: 2, groups: { cpu: 4 }, tests: {}, groupTests: {} });
  });
  it('bad values say what is wrong', () => {
    expect(() => parseMarginSpec('lab=')).toThrow(/not a percentage/);
    expect(() => parseMarginSpec('=2')).toThrow(/names no group or test/);
    expect(() => parseMarginSpec('lab=-1')).toThrow(/not a percentage/);
    expect(() => parseMarginSpec('lab=100')).toThrow(/not a percentage/);
    expect(() => parseMarginSpec('lab:disk=3')).toThrow(/'disk' is not a test/);
    expect(() => parseMarginSpec(':cpu=3')).toThrow(/names no group/);
  });
});
