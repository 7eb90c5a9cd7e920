import { describe, expect, it } from 'vitest';
import { benchArgs, UsageError } from '../bench/args.js';

const NAMES = ['ingest', 'fleet', 'panels'];

describe('the arguments of npm run bench', () => {
  it('takes --only with known names and the fleet options', () => {
    expect(benchArgs(['--only=ingest,fleet', '--fleet-full', '--fleet-days=7', '--dist=/tmp/x'], NAMES)).toEqual({ only: ['ingest', 'fleet'] });
    expect(benchArgs([], NAMES)).toEqual({});
    expect(benchArgs(['--only=ingest', '--ingest-pairs=9', '--ingest-agents=1,1000'], NAMES)).toEqual({ only: ['ingest'] });
    expect(benchArgs(['--only=fleet', '--catchup-groups=2', '--catchup-guests=10', '--catchup-days=2', '--catchup-label=x'], NAMES)).toEqual({
      only: ['fleet'],
    });
  });
  it('answers --help without running anything', () => {
    expect(benchArgs(['--only=ingest', '--help'], NAMES)).toBe('help');
  });
  it('refuses an unknown option, a flag given a value, and an empty value', () => {
    for (const bad of [['--hlep'], ['--fleet-full=1'], ['--fleet-days='], ['fleet'], ['--only']]) {
      expect(() => benchArgs(bad, NAMES), bad.join(' ')).toThrow(UsageError);
    }
  });
  it('refuses --only naming a benchmark that does not exist, and names the ones that do', () => {
    expect(() => benchArgs(['--only=ingest,fleeet'], NAMES)).toThrow(/no benchmark named fleeet; there are: ingest, fleet, panels/);
  });
});
