// The months bench's pure parts (bench/panels-plan.ts): its size options, the agents it
// simulates, the title that gives each size its own section, and the goal of its year rows.
import { describe, expect, it } from 'vitest';
import { benchArgs, UsageError } from '../bench/args.js';
import { panelsAgents, panelsOptionsFromArgv, panelsTitle, yearGoalMs } from '../bench/panels-plan.js';
import { lastRange, panelSql, rangeName, type DashboardQuery } from '../bench/fleet-queries.js';

describe('the months bench (panels)', () => {
  it('reads its options, and refuses a count that is not a whole number ≥ 1', () => {
    expect(panelsOptionsFromArgv(['--only=panels', '--panels-groups=10', '--panels-guests=100', '--panels-keep=/tmp/k'])).toEqual({
      groups: 10,
      guestsPerGroup: 100,
      keepDir: '/tmp/k',
    });
    expect(panelsOptionsFromArgv(['--only=panels'])).toEqual({});
    for (const bad of ['--panels-groups=0', '--panels-guests=1.5', '--panels-groups=x', '--panels-guests=-3']) {
      expect(() => panelsOptionsFromArgv([bad]), bad).toThrow(UsageError);
      expect(() => panelsOptionsFromArgv([bad]), bad).toThrow(new RegExp(`^${bad.replace('.', '\\.')}: a whole number ≥ 1, please$`));
    }
    // npm run bench takes the names (and refuses them empty).
    expect(benchArgs(['--only=panels', '--panels-groups=10', '--panels-guests=100', '--panels-keep=/tmp/k'], ['panels'])).toEqual({ only: ['panels'] });
    expect(() => benchArgs(['--panels-groups='], ['panels'])).toThrow(UsageError);
    expect(() => benchArgs(['--panels-group=2'], ['panels'])).toThrow(UsageError);
  });

  it('keeps the 100-guest year it always simulated: one group bench, its baseline native first, guests g000…g099', () => {
    const agents = panelsAgents(1, 100);
    expect(agents.length).toBe(101);
    expect(agents[0]).toEqual({ agent: 'native', group: 'bench', role: 'baseline', baseline: 'native', index: 0 });
    expect(agents[1]).toEqual({ agent: 'g000', group: 'bench', role: 'guest', baseline: 'native', index: 1 });
    expect(agents[100]).toEqual({ agent: 'g099', group: 'bench', role: 'guest', baseline: 'native', index: 100 });
    expect(agents.map((a) => a.index)).toEqual([...Array(101).keys()]);
  });

  it('gives each of several groups its own baseline, and every agent a name of its own', () => {
    const agents = panelsAgents(10, 100);
    expect(agents.length).toBe(1010);
    expect(new Set(agents.map((a) => a.agent)).size).toBe(1010);
    const baselines = agents.filter((a) => a.role === 'baseline');
    expect(baselines.map((a) => a.agent)).toEqual([...Array(10).keys()].map((k) => `native${k}`));
    for (const [k, b] of baselines.entries()) {
      const members = agents.filter((a) => a.group === `bench${k}`);
      expect(members.length, b.agent).toBe(101);
      expect(members[0], b.agent).toBe(b);
      expect(members.every((a) => a.baseline === b.agent)).toBe(true);
    }
    expect(agents.find((a) => a.agent === 'g999')).toMatchObject({ group: 'bench9', index: 1009 });
    expect(panelsAgents(2, 3).map((a) => a.agent)).toEqual(['native0', 'g000', 'g001', 'g002', 'native1', 'g003', 'g004', 'g005']);
  });

  it('names the size in its title, the 100-guest one unchanged, so a bench --only run merges each into its own section', () => {
    expect(panelsTitle(1, 100)).toBe('Months of data: every dashboard and the report over a simulated year of 100 guests');
    expect(panelsTitle(10, 100)).toBe('Months of data: every dashboard and the report over a simulated year of 1 000 guests in 10 groups');
    expect(panelsTitle(1, 20)).toBe('Months of data: every dashboard and the report over a simulated year of 20 guests');
  });

  it("holds a year to the bench's own 1 s at its 100 guests, to issue 26's 2 s at any other size", () => {
    expect(yearGoalMs(1, 100)).toBe(1000);
    expect(yearGoalMs(10, 100)).toBe(2000);
    expect(yearGoalMs(2, 50)).toBe(2000);
  });

  it("times a panel with its minimum interval and maxDataPoints, as Grafana makes $__interval, and names each row's range", () => {
    const q: DashboardQuery = {
      dashboard: 'Live run',
      name: 'panel "History"',
      query: 'SELECT mean("x") FROM "m" WHERE $timeFilter GROUP BY time($__interval)',
      vars: {},
      defaultMs: 15 * 60_000,
      panel: { minInterval: '1d' },
    };
    const end = Date.UTC(2026, 11, 7, 18, 1);
    const year = 365 * 86_400_000;
    expect(panelSql(q, lastRange(end, q.defaultMs))).toBe(`SELECT mean("x") FROM "m" WHERE time >= ${end - 900_000}ms and time <= ${end}ms GROUP BY time(1d)`);
    expect(panelSql(q, lastRange(end, year))).toMatch(/GROUP BY time\(1d\)$/);
    // With maxDataPoints 52: a year weekly, past the minimum.
    expect(panelSql({ ...q, panel: { minInterval: '1d', maxDataPoints: 52 } }, lastRange(end, year))).toMatch(/GROUP BY time\(7d\)$/);
    // Without either: 1 000 points over the range (a year: 6 h; 15 minutes: the datasource's floor of 10 s).
    expect(panelSql({ ...q, panel: {} }, lastRange(end, year))).toMatch(/GROUP BY time\(6h\)$/);
    expect(panelSql({ ...q, panel: {} }, lastRange(end, q.defaultMs))).toMatch(/GROUP BY time\(10s\)$/);
    expect([
      rangeName('default range', 15 * 60_000),
      rangeName('default range', 86_400_000),
      rangeName('default range', 30 * 86_400_000),
      rangeName('a year', year),
    ]).toEqual(['default range (15 min)', 'default range (1 d)', 'default range (30 d)', 'a year']);
  });
});
