// What an option's declared type and bounds mean: the one place an option's text is checked
// (a whole number, a duration, a size, one of a set, within bounds), whichever source it came
// from. Values stay as written ('24h', '256MiB'); lib/options.ts's readers convert checked text.
import { statSync } from 'node:fs';
import { UsageError } from './errors.js';
import { splitHostPort } from './net.js';
import { parseDuration, parseSize } from './units.js';

/**
 * string: any text; path: a file or folder name (non-empty); boolean: a flag;
 * list: comma-separated (repeating the option replaces it); multi: repeatable;
 * int: a whole number (`min`/`max` numbers); duration: milliseconds (`min`/`max` as text, e.g. '1s');
 * size: bytes (`min`/`max` as text, e.g. '512MiB'); enum: one of `values`; address: HOST:PORT.
 */
export type OptionType = 'string' | 'path' | 'boolean' | 'list' | 'multi' | 'int' | 'duration' | 'size' | 'enum' | 'address';

export interface OptionSpec {
  name: string;
  type: OptionType;
  help: string;
  /** Written as a user would write it ('6h', '256MiB', '3'): it goes through the same checks. */
  default?: string | boolean | string[];
  /** How --help and the man page show a default that depends on the machine ('2 or fewer: the CPUs here'). */
  shownDefault?: string;
  /** Command line only: never read from a config file or the environment. */
  cliOnly?: boolean;
  short?: string;
  /** int: inclusive bounds; duration and size: inclusive bounds in their own notation; list: fewest items. */
  min?: number | string;
  max?: number | string;
  /** enum, list, multi: the values allowed. */
  values?: readonly string[];
  /** What one value is called in errors: noun 'test' gives "unknown test 'x' (known: ...)". */
  noun?: string;
  /** path: must name an existing directory or file when given. */
  exists?: 'dir' | 'file';
  /** Options with which this one would be ignored: given together, they are refused (lib/options.ts says when). */
  conflicts?: readonly string[];
  /** The option without which this one would be ignored: given alone, it is refused. */
  needs?: string;
}

export type OptionValue = string | boolean | string[];

/** The placeholder --help shows after the option's name. */
export function placeholder(s: OptionSpec): string {
  switch (s.type) {
    case 'boolean':
      return '';
    case 'int':
      return ' N';
    case 'duration':
      return ' DURATION';
    case 'size':
      return ' SIZE';
    case 'path':
      return ' PATH';
    case 'enum':
      return ` ${(s.values ?? []).join('|')}`;
    case 'list':
      return ' A,B,...';
    case 'address':
      return ' HOST:PORT';
    default:
      return ' VALUE';
  }
}

function checkInt(s: OptionSpec, text: string): number {
  const min = s.min as number | undefined;
  const max = s.max as number | undefined;
  const n = /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (Number.isInteger(n) && (min === undefined || n >= min) && (max === undefined || n <= max)) return n;
  const range =
    min === 1
      ? `a positive whole number${max !== undefined ? ` up to ${max}` : ''}`
      : min !== undefined && max !== undefined
        ? `a whole number from ${min} to ${max}`
        : 'a whole number';
  throw new UsageError(`--${s.name}: expected ${range}, not '${text}'`);
}

function checkMeasure(s: OptionSpec, text: string, parse: (t: string, option: string) => number): number {
  const value = parse(text, s.name);
  if (typeof s.min === 'string' && value < parse(s.min, s.name)) throw new UsageError(`--${s.name} ${text}: expected at least ${s.min}`);
  if (typeof s.max === 'string' && value > parse(s.max, s.name)) throw new UsageError(`--${s.name} ${text}: expected at most ${s.max}`);
  return value;
}

function checkMember(s: OptionSpec, v: string): string {
  if (!s.values || s.values.includes(v)) return v;
  const known = s.values.join(', ');
  throw new UsageError(s.noun ? `unknown ${s.noun} '${v}' (known: ${known})` : `--${s.name}: expected one of ${known}, not '${v}'`);
}

function checkExists(s: OptionSpec, path: string, kind: 'dir' | 'file'): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new UsageError(
      `--${s.name} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such ' + (kind === 'dir' ? 'directory' : 'file') : (err as Error).message}`,
    );
  }
  if (isDir !== (kind === 'dir')) throw new UsageError(`--${s.name} ${path}: not a ${kind === 'dir' ? 'directory' : 'file'}`);
}

/** Checks a value as read (text, flag or list) against the option's declared type and bounds; throws a UsageError naming it. */
export function checkOption(s: OptionSpec, raw: OptionValue): OptionValue {
  switch (s.type) {
    case 'int':
      checkInt(s, String(raw));
      break;
    case 'duration':
      checkMeasure(s, String(raw), parseDuration);
      break;
    case 'size':
      checkMeasure(s, String(raw), parseSize);
      break;
    case 'enum':
      checkMember(s, String(raw));
      break;
    case 'path':
      if (raw === '') throw new UsageError(`--${s.name}: expected a file name, not an empty string`);
      if (s.exists) checkExists(s, String(raw), s.exists);
      break;
    case 'address': {
      const a = splitHostPort(String(raw));
      if ('error' in a) throw new UsageError(`--${s.name} ${String(raw)}: ${a.error}`);
      break;
    }
    case 'list':
    case 'multi':
      for (const v of raw as string[]) checkMember(s, v);
      if (typeof s.min === 'number' && (raw as string[]).length < s.min) throw new UsageError(`--${s.name} is empty`);
      break;
  }
  return raw;
}
