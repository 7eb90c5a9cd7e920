// Options several commands share, declared once so their type, bounds and wording agree.
import type { OptionSpec } from './option-types.js';
import { UsageError } from './errors.js';
import { parseMarginSpec, type MarginSpec } from './compare/margin.js';

/** Trials per test: at least 1 (one trial gives no interval), at most 100 (a run stays bounded). */
export const TRIALS_OPTION = (help: string, defaultTrials: string): OptionSpec => ({
  name: 'trials',
  type: 'int',
  min: 1,
  max: 100,
  help,
  default: defaultTrials,
});

/** pino's levels. */
export const LOG_LEVEL_OPTION: OptionSpec = {
  name: 'log-level',
  type: 'enum',
  values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  help: 'trace, debug, info, warn, error',
  default: 'info',
};

/** --margin: '5', 'lab=3', 'cpu=2', 'lab:fileio=10' (lib/compare/margin.ts); read with marginOption(). */
export const MARGIN_OPTION = (help: string): OptionSpec => ({ name: 'margin', type: 'string', help });

/** --margin as a MarginSpec; a bad value is a usage error. */
export function marginOption(text: string | undefined): MarginSpec | undefined {
  if (text === undefined) return undefined;
  try {
    return parseMarginSpec(text);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
}
