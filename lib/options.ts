// One option parser for every subcommand: command line > environment > config file > default.
// Each option has one name; the config file uses it with '_' for '-' (YAML or JSON), the
// environment VIRT_OVERHEAD_<NAME> in upper case with '_' (e.g. VIRT_OVERHEAD_TOKEN_FILE).
// Each option declares its type and bounds once (lib/option-types.ts); every value, whatever its
// source, is checked here, before a command does anything; commands read it with int(), duration(), size().
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { UsageError } from './errors.js';
import { checkShape, readDataFile } from './file-input.js';
import { parseDuration, parseSize } from './units.js';

import { checkOption, placeholder, type OptionSpec, type OptionValue } from './option-types.js';

export type { OptionSpec, OptionType, OptionValue } from './option-types.js';
export type OptionValues = Record<string, OptionValue | undefined>;

const CONFIG_OPTION: OptionSpec = { name: 'config', type: 'string', help: 'read options from this YAML or JSON file', cliOnly: true };
const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', help: 'print this help', cliOnly: true, short: 'h' };

export function envName(option: string): string {
  return 'VIRT_OVERHEAD_' + option.toUpperCase().replace(/-/g, '_');
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

/** Option values keyed by option name ('_' for '-'); which names are known is checked by parseOptions. */
const CONFIG_FILE = z.record(z.string(), z.unknown(), { error: 'expected a mapping of option names to values' });

export function readConfigFile(path: string): Record<string, unknown> {
  const raw = readDataFile(path, 'config file');
  return raw == null ? {} : checkShape(CONFIG_FILE, raw, `config file ${path}`);
}

export interface ParsedOptions {
  values: OptionValues;
  positionals: string[];
  help: boolean;
}

/** Parses argv for one subcommand. Unknown options, in argv or in the config file, are usage errors. */
export function parseOptions(specs: OptionSpec[], argv: string[], env: NodeJS.ProcessEnv = process.env, allowPositionals = false): ParsedOptions {
  const all = [...specs, CONFIG_OPTION, HELP_OPTION];
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
    parsed = parseArgs({ args: argv, options: parseSpec, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const cli = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const file: Record<string, unknown> = typeof cli.config === 'string' ? readConfigFile(cli.config) : {};
  const known = new Set(specs.filter((s) => !s.cliOnly).map((s) => fileKey(s.name)));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new UsageError(`config file ${String(cli.config)}: unknown option '${key}' (known: ${[...known].sort().join(', ')})`);
  }
  const values: OptionValues = {};
  for (const s of specs) {
    let value: string | boolean | string[] | undefined;
    if (cli[s.name] !== undefined) value = s.type === 'list' ? coerce(s, cli[s.name], 'command line') : cli[s.name];
    else if (!s.cliOnly && env[envName(s.name)] !== undefined) value = coerce(s, env[envName(s.name)], envName(s.name));
    else if (!s.cliOnly && file[fileKey(s.name)] !== undefined) value = coerce(s, file[fileKey(s.name)], `config file ${String(cli.config)}`);
    else value = s.default;
    values[s.name] = value === undefined ? undefined : checkOption(s, value);
  }
  return { values, positionals: parsed.positionals, help: cli.help === true };
}

export function formatHelp(usage: string, specs: OptionSpec[]): string {
  const lines = [usage, '', 'Options:'];
  for (const s of [...specs, CONFIG_OPTION, HELP_OPTION]) {
    const flag = `--${s.name}${placeholder(s)}`;
    const def = s.default !== undefined && s.default !== false ? ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})` : '';
    lines.push(`  ${flag.padEnd(28)} ${s.help}${def}`);
  }
  lines.push('', 'Every option except --config and --help can also come from the config file (same name, _ for -)');
  lines.push('or from the environment as VIRT_OVERHEAD_<NAME>; the command line wins, then the environment, then the file.');
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
