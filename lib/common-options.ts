// Options several commands share, declared once so their type, bounds and wording agree.
import type { OptionSpec } from './option-types.js';

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
