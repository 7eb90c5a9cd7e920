// Line protocol as InfluxDB 1.x reads it
// (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/): every
// expected line below is written out by hand from that page, not produced by the code under test.
import { describe, expect, it } from 'vitest';
import { escapeKey, escapeMeasurement, fieldSet, fieldValue, seriesKey, toLine } from './line.js';

describe('escaping', () => {
  it('measurement: commas and spaces are escaped, an equals sign is not (the spec lists only those two)', () => {
    expect(escapeMeasurement('cpu')).toBe('cpu');
    expect(escapeMeasurement('cpu load,avg')).toBe('cpu\\ load\\,avg');
    expect(escapeMeasurement('a=b')).toBe('a=b');
  });

  it('tag keys, tag values and field keys: commas, equals signs and spaces are escaped', () => {
    expect(escapeKey('plain-key_1.x')).toBe('plain-key_1.x');
    expect(escapeKey('a,b')).toBe('a\\,b');
    expect(escapeKey('a=b')).toBe('a\\=b');
    expect(escapeKey('a b')).toBe('a\\ b');
    expect(escapeKey('x, =y')).toBe('x\\,\\ \\=y');
    expect(escapeKey('"quoted"')).toBe('"quoted"'); // double quotes are literal in keys
  });

  // What line.ts does today. InfluxDB 1.x does not unescape '\\' outside string fields: checked
  // against influxd 1.6.7, measurement 'm\\2' and keys 'a\\b' are stored with both backslashes,
  // and a tag value ending in '\\' before ',' or ' ' is refused (400 "invalid tag format"). So
  // this doubling cannot carry a backslash into a name; what keeps the lines sound is that
  // validate.ts refuses backslashes in every identity string (validate.test.ts).
  it('a backslash in a measurement, key or tag value is doubled', () => {
    expect(escapeKey('evil\\')).toBe('evil\\\\');
    expect(escapeMeasurement('m\\')).toBe('m\\\\');
    expect(seriesKey('m', { a: 'v\\', b: 'x' })).toBe('m,a=v\\\\,b=x');
  });
});

describe('field values', () => {
  it('numbers are floats: no integer suffix, so a field never changes type', () => {
    expect(fieldValue(82)).toBe('82');
    expect(fieldValue(0)).toBe('0');
    expect(fieldValue(-1.5)).toBe('-1.5');
    expect(fieldValue(268.71)).toBe('268.71');
    expect(fieldValue(1e15)).toBe('1000000000000000');
    expect(fieldValue(1e-7)).toBe('1e-7'); // exponent form: influxd 1.6.7 stores it as the float 1e-7
    expect(fieldValue(82)).not.toMatch(/i$/);
  });

  it('NaN and ±Infinity are refused with a clear error (line protocol has no spelling for them)', () => {
    expect(() => fieldValue(NaN)).toThrow('line protocol: NaN is not a finite number');
    expect(() => fieldValue(Infinity)).toThrow('line protocol: Infinity is not a finite number');
    expect(() => fieldValue(-Infinity)).toThrow('line protocol: -Infinity is not a finite number');
  });

  it('booleans are true and false', () => {
    expect(fieldValue(true)).toBe('true');
    expect(fieldValue(false)).toBe('false');
  });

  it('strings are double-quoted with double quotes and backslashes escaped; commas, spaces, = stay', () => {
    expect(fieldValue('ok')).toBe('"ok"');
    expect(fieldValue('')).toBe('""');
    expect(fieldValue('too "hot"')).toBe('"too \\"hot\\""');
    expect(fieldValue('c:\\tmp')).toBe('"c:\\\\tmp"');
    expect(fieldValue('a, b=c')).toBe('"a, b=c"');
    expect(fieldValue('ends with \\')).toBe('"ends with \\\\"'); // cannot escape the closing quote
  });
});

describe('series key', () => {
  it("tags sorted by key (InfluxDB's preferred order), empty values left out, all escaped", () => {
    expect(seriesKey('sysbench', { test: 'cpu', agent: 'a1', host: 'h 1', group: '' })).toBe('sysbench,agent=a1,host=h\\ 1,test=cpu');
    expect(seriesKey('cpu load', { 'tag key': 'x=y', host: 'a,b', empty: '' })).toBe('cpu\\ load,host=a\\,b,tag\\ key=x\\=y');
  });

  it('no tags: the measurement alone', () => {
    expect(seriesKey('m', {})).toBe('m');
    expect(seriesKey('m', { only: '' })).toBe('m');
  });
});

describe('field set', () => {
  it('comma-separated key=value in the given order; undefined fields are left out', () => {
    expect(fieldSet({ events_per_sec: 1234.5, ok: true, run_id: 'r 1', skipped: undefined, trial: 2 })).toBe(
      'events_per_sec=1234.5,ok=true,run_id="r 1",trial=2',
    );
    expect(fieldSet({ 'odd key,=x': 1 })).toBe('odd\\ key\\,\\=x=1');
  });

  it('refuses the whole set when one value is not finite', () => {
    expect(() => fieldSet({ a: 1, b: NaN })).toThrow(/NaN is not a finite number/);
  });
});

describe('toLine', () => {
  it('measurement,tags fields timestamp — the timestamp (nanoseconds) passes through as given', () => {
    const line = toLine({
      measurement: 'sysbench',
      tags: { test: 'cpu', agent: 'a1', variant: '' },
      fields: { events_per_sec: 1000, ok: true, error: 'x "y"' },
      timestamp: '1465839830100400200',
    });
    expect(line).toBe('sysbench,agent=a1,test=cpu events_per_sec=1000,ok=true,error="x \\"y\\"" 1465839830100400200');
  });

  it('uses a series key given by the caller instead of building one', () => {
    expect(toLine({ measurement: 'ignored', tags: { a: 'b' }, fields: { v: 1 }, timestamp: '5' }, 'm,k=v')).toBe('m,k=v v=1 5');
  });

  it('a point without tags', () => {
    expect(toLine({ measurement: 'm', fields: { v: 0.5 }, timestamp: '1' })).toBe('m v=0.5 1');
  });
});
