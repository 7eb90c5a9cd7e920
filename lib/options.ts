// One option parser for every subcommand: command line > environment > config file > default.
// Each option has one name; the config file uses it with '_' for '-' (YAML or JSON), the
// environment VIRT_OVERHEAD_<COMMAND>_<NAME> in upper case with '_' (e.g.
// VIRT_OVERHEAD_AGENT_TOKEN_FILE): a variable names its command, so one set for the agent never
// changes what `report` does. Each option declares its type and bounds once (lib/option-types.ts);
// every value, whatever its source, is checked here, before a command does anything; commands
// read it with int(), duration(), size().
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { readDataFile } from './file-input.js';
import { parseDuration, parseSize } from './units.js';

import { checkOption, placeholder, type OptionSpec, type OptionValue } from './option-types.js';

export type { OptionSpec, OptionType, OptionValue } from './option-types.js';
export type OptionValues = Record<string, OptionValue | undefined>;

/** One line of a command's "Exit status" list. */
export interface ExitCode {
  code: number;
  meaning: string;
}

/** What a command takes: the parser, --help and the man page read this one declaration. */
export interface CommandSpec {
  name: string;
  usage: string;
  options: OptionSpec[];
  exitCodes: readonly ExitCode[];
  /** Takes positional arguments (file names). */
  positionals?: boolean;
}

/** The codes every command shares (cli/main.ts maps a UsageError to 2, any other error to 1). */
export const OK_EXIT: ExitCode = { code: 0, meaning: 'done' };
export const FAILED_EXIT: ExitCode = { code: 1, meaning: 'failed while running (the message says what)' };
export const USAGE_EXIT: ExitCode = { code: 2, meaning: 'usage error: an option, config file or input file cannot work as written' };
export const STANDARD_EXIT_CODES: readonly ExitCode[] = [OK_EXIT, FAILED_EXIT, USAGE_EXIT];

const CONFIG_OPTION: OptionSpec = { name: 'config', type: 'path', help: 'read options from this YAML or JSON file', cliOnly: true };
const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', help: 'print this help', cliOnly: true, short: 'h' };

/** Options every command takes besides its own (--help lists them; cli/main.ts also takes --no-color before the command). */
export function allOptions(cmd: CommandSpec): OptionSpec[] {
  return [...cmd.options, CONFIG_OPTION, HELP_OPTION];
}

const upper = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** The environment variable of `option` for `command`: VIRT_OVERHEAD_AGENT_TOKEN_FILE. */
export function envName(command: string, option: string): string {
  return `VIRT_OVERHEAD_${upper(command)}_${upper(option)}`;
}

/** The command-less name earlier versions read (VIRT_OVERHEAD_GROUP): refused, it would apply to every command. */
function unscopedEnvName(option: string): string {
  return `VIRT_OVERHEAD_${upper(option)}`;
}

function fileKey(option: string): string {
  return option.replace(/-/g, '_');
}

function coerce(spec: OptionSpec, raw: unknown, source: string): string | boolean | string[] {
  switch (spec.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(1|true|yes|on)$/i.test(raw)) return true;
      if (typeof raw === 'string' && /^(0|false|no|off|)$/i.test(raw)) return false;
      throw new UsageError(`${source}: option '${spec.name}' takes true or false, not ${JSON.stringify(raw)}`);
    case 'list':
    case 'multi':
      if (Array.isArray(raw)) return raw.map(String);
      if (typeof raw === 'string')
        return raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      throw new UsageError(`${source}: option '${spec.name}' takes a list, not ${JSON.stringify(raw)}`);
    default:
      if (typeof raw === 'string' || typeof raw === 'number') return String(raw);
      throw new UsageError(`${source}: option '${spec.name}' takes a value, not ${JSON.stringify(raw)}`);
  }
}

/**
 * Option values keyed by option name ('_' for '-'); which names are known is checked by
 * parseOptions. Checked by hand, not with zod: every command parses options, and loading zod
 * took ~110 ms of each start (`report`, `--help`).
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const raw = await readDataFile(path, 'config file');
  if (raw == null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`config file ${path}: expected a mapping of option names to values`);
  return raw as Record<string, unknown>;
}

/** Where a value came from; a default was not given. */
export type OptionSource = 'command line' | 'environment' | 'config file' | 'default';

export interface ParsedOptions {
  values: OptionValues;
  /** Where each option's value came from. */
  sources: Record<string, OptionSource>;
  positionals: string[];
  help: boolean;
}

/** The closest declared name to a mistyped one (a typo: one edit per three letters), for "did you mean". */
function closest(name: string, names: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return row[b.length]!;
  };
  const best = names.map((n) => [n, distance(name, n)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(1, Math.floor(name.length / 3)) ? best[0] : undefined;
}

/** node:util's parse errors, said in the command's terms. */
function argvError(cmd: CommandSpec, err: NodeJS.ErrnoException): UsageError {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const near = closest(
      option.replace(/^-+/, ''),
      allOptions(cmd).map((s) => s.name),
    );
    return new UsageError(
      `${cmd.name} does not take ${option}${near ? ` (did you mean --${near}?)` : ''}; 'virt-overhead ${cmd.name} --help' lists its options`,
    );
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`${cmd.name} takes no arguments besides options: ${/'([^']*)'/.exec(err.message)?.[1] ?? err.message}`);
  return new UsageError(err.message);
}

/**
 * Two options given together where one would be ignored are refused. A value from the config file
 * does not conflict with one from the command line or environment: the invocation overrides the
 * file (a config file's schedule, `agent --once` for one run).
 */
function checkConflicts(cmd: CommandSpec, sources: Record<string, OptionSource>): void {
  const where = (name: string) =>
    sources[name] === 'command line' ? `--${name}` : sources[name] === 'environment' ? envName(cmd.name, name) : `${name} in the config file`;
  const given = (name: string) => sources[name] !== undefined && sources[name] !== 'default';
  for (const s of cmd.options) {
    if (s.needs && given(s.name) && !given(s.needs)) throw new UsageError(`${where(s.name)} needs --${s.needs}: without it, --${s.name} would be ignored`);
    for (const other of s.conflicts ?? []) {
      const a = sources[s.name];
      const b = sources[other];
      if (!a || !b || a === 'default' || b === 'default') continue;
      if ((a === 'config file') !== (b === 'config file')) continue;
      throw new UsageError(`${where(s.name)} and ${where(other)} do not go together: with --${other}, --${s.name} would be ignored`);
    }
  }
}

/**
 * Parses argv for one command. Unknown options, in argv or in the config file, are usage errors.
 * Async for the config file's read alone (a YAML parser loaded only when one is given).
 */
export async function parseOptions(cmd: CommandSpec, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ParsedOptions> {
  const all = allOptions(cmd);
  const parseSpec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const s of all) {
    parseSpec[s.name] = {
      type: s.type === 'boolean' ? 'boolean' : 'string',
      ...(s.type === 'multi' ? { multiple: true } : {}),
      ...(s.short ? { short: s.short } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseSpec, strict: true, allowPositionals: cmd.positionals === true });
  } catch (err) {
    throw argvError(cmd, err as NodeJS.ErrnoException);
  }
  const cli = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (cli.help === true) return { values: {}, sources: {}, positionals: parsed.positionals, help: true };
  const file: Record<string, unknown> = typeof cli.config === 'string' ? await readConfigFile(cli.config) : {};
  const known = new Set(cmd.options.filter((s) => !s.cliOnly).map((s) => fileKey(s.name)));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new UsageError(`config file ${String(cli.config)}: unknown option '${key}' (known: ${[...known].sort().join(', ')})`);
  }
  const values: OptionValues = {};
  const sources: Record<string, OptionSource> = {};
  for (const s of cmd.options) {
    const unscoped = unscopedEnvName(s.name);
    if (!s.cliOnly && env[unscoped] !== undefined)
      throw new UsageError(
        `${unscoped} is set, but environment options name their command, so that one set for one command does not change another: use ${envName(cmd.name, s.name)}`,
      );
    const fromEnv = s.cliOnly ? undefined : env[envName(cmd.name, s.name)];
    let value: string | boolean | string[] | undefined;
    let source: OptionSource = 'default';
    if (cli[s.name] !== undefined) {
      value = s.type === 'list' ? coerce(s, cli[s.name], 'command line') : cli[s.name];
      source = 'command line';
    } else if (fromEnv !== undefined) {
      value = coerce(s, fromEnv, envName(cmd.name, s.name));
      source = 'environment';
    } else if (!s.cliOnly && file[fileKey(s.name)] !== undefined) {
      value = coerce(s, file[fileKey(s.name)], `config file ${String(cli.config)}`);
      source = 'config file';
    } else value = s.default;
    values[s.name] = value === undefined ? undefined : checkOption(s, value);
    if (value !== undefined) sources[s.name] = source;
  }
  checkConflicts(cmd, sources);
  return { values, sources, positionals: parsed.positionals, help: false };
}

/** One option's line in --help and the man page: the flag as typed, then what it does. */
export function optionFlag(s: OptionSpec): string {
  return `${s.short ? `-${s.short}, ` : ''}--${s.name}${placeholder(s)}`;
}

export function optionDescription(s: OptionSpec): string {
  const shown =
    s.shownDefault ?? (s.default !== undefined && s.default !== false ? (Array.isArray(s.default) ? s.default.join(',') : String(s.default)) : undefined);
  const def = shown !== undefined ? ` (default: ${shown})` : '';
  const conflicts = s.conflicts?.length ? `; not with ${s.conflicts.map((c) => `--${c}`).join(' or ')} (it would be ignored)` : '';
  const needs = s.needs && !s.help.includes(`--${s.needs}`) ? `; only with --${s.needs}` : '';
  return `${s.help}${def}${conflicts}${needs}`;
}

/** The environment paragraph of --help and the man page. */
export function environmentNote(cmd: CommandSpec): string {
  const example = cmd.options.find((o) => !o.cliOnly)?.name ?? 'log-level';
  return (
    `Every option except --config and --help can also come from the config file (same name, _ for -) or from the environment as ` +
    `VIRT_OVERHEAD_${upper(cmd.name)}_<NAME> (e.g. ${envName(cmd.name, example)}); the command line wins, then the environment, then the file. ` +
    `NO_COLOR=1 (or virt-overhead --no-color) turns colours off.`
  );
}

/** Words of `text` in lines of at most `width` characters, each starting with `indent`. */
function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

export function formatHelp(cmd: CommandSpec): string {
  const lines = [cmd.usage, '', 'Options:'];
  for (const s of allOptions(cmd)) lines.push(`  ${optionFlag(s).padEnd(28)} ${optionDescription(s)}`);
  lines.push('', ...wrap(environmentNote(cmd), 100), '', 'Exit status:');
  for (const e of cmd.exitCodes) lines.push(`  ${String(e.code).padEnd(3)} ${e.meaning}`);
  return lines.join('\n');
}

/** Reads a string option the caller declared with a default; throws if it is missing. */
export function str(values: OptionValues, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`option --${name} is required`);
  return v;
}

export function optStr(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

// Readers of checked options ('int', 'duration', 'size' were checked by parseOptions, so these only convert).

/** An 'int' option the caller declared with a default; throws if it is missing. */
export function int(values: OptionValues, name: string): number {
  return Number(str(values, name));
}

/** A 'duration' option in milliseconds. */
export function duration(values: OptionValues, name: string): number {
  return parseDuration(str(values, name), name);
}

export function optDuration(values: OptionValues, name: string): number | undefined {
  const text = optStr(values, name);
  return text === undefined ? undefined : parseDuration(text, name);
}

/** A 'size' option in bytes. */
export function size(values: OptionValues, name: string): number {
  return parseSize(str(values, name), name);
}
