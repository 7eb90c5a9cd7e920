// The export formats on their own (no influxd): CSV that a real parser reads back field for
// field (RFC 4180's comma, quote and line-break cases, CR alone too), spreadsheet formulas kept
// as text while numbers stay numbers, and --fail-on values a report kind cannot answer refused.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { checkFailOn, FAIL_ON_VALUES } from './gate.js';
import { formatNoiseLines, NOISE_MEDIANS_ARE, type SystemNoise } from './noise.js';
import { toCsv } from './csv.js';

describe('CSV', () => {
  const rows = [
    { kernel: '6.1, "custom"\nbuild', cpu: 'a\rb', n: 3, overhead_pct: -16.5, ok: true, none: null },
    { kernel: '=HYPERLINK("x")', cpu: '+1', n: 0, overhead_pct: 2.5e-7, ok: false, none: null },
  ];

  it('reads back field for field: quoted where needed, quotes doubled, CRLF between records', () => {
    const text = toCsv(rows);
    expect(text.startsWith('kernel,cpu,n,overhead_pct,ok,none\r\n')).toBe(true);
    expect(text).toContain('"6.1, ""custom""\nbuild","a\rb",3,-16.5,true,\r\n');
    const back = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(back[0]).toEqual({ kernel: '6.1, "custom"\nbuild', cpu: 'a\rb', n: '3', overhead_pct: '-16.5', ok: 'true', none: '' });
  });

  it("text a spreadsheet would run as a formula gets a leading ', numbers never do", () => {
    const back = parse(toCsv(rows), { columns: true }) as Array<Record<string, string>>;
    expect(back[1]).toMatchObject({ kernel: `'=HYPERLINK("x")`, cpu: "'+1", overhead_pct: '2.5e-7', ok: 'false' });
  });

  it('no rows, no text', () => {
    expect(toCsv([])).toBe('');
  });
});

describe('--fail-on', () => {
  it('takes every verdict and change kind', () => {
    expect(FAIL_ON_VALUES).toEqual(['worse', 'better', 'equivalent', 'inconclusive', 'unmeasurable', 'change', 'regression', 'improvement']);
  });

  it('refuses what the kind cannot answer, naming what it takes', () => {
    expect(() => checkFailOn('overhead', ['worse', 'change'])).not.toThrow();
    expect(() => checkFailOn('changes', ['regression'])).not.toThrow();
    expect(() => checkFailOn('changes', ['worse'])).toThrow(UsageError);
    expect(() => checkFailOn('changes', ['worse'])).toThrow(/with --changes it takes change, regression, improvement/);
    expect(() => checkFailOn('compare', ['change'])).toThrow(/with --compare it takes worse, better, equivalent, inconclusive, unmeasurable/);
  });
});

describe('noise lines under the table', () => {
  const line = (label: string, steal: number | null): SystemNoise => ({
    label,
    agent: label,
    variant: 'default',
    trials: 40,
    judged: 40,
    disturbed: 3,
    medianStealPct: steal,
    medianContentionPct: 2,
    medianLoad1: 1.5,
    medianCpuMhz: 2400,
  });

  it('say once, in the heading, that the numbers are medians of daily medians, not over the trials', () => {
    const text = formatNoiseLines([line('host-a', 0.5), line('vm-1', null)], false);
    const [heading, ...lines] = text.trim().split('\n');
    expect(heading).toContain(`steal, contention, load, MHz: ${NOISE_MEDIANS_ARE}`);
    expect(NOISE_MEDIANS_ARE).toMatch(/median of the system's daily medians/);
    expect(lines).toEqual([
      'host-a   steal 0.5 %, contention 2.0 %, load 1.50, 2400 MHz; disturbed 3 of 40 trials',
      'vm-1     steal —, contention 2.0 %, load 1.50, 2400 MHz; disturbed 3 of 40 trials',
    ]);
    expect(text).not.toMatch(/median steal/);
  });
});
