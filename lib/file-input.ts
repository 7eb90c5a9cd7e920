// Files users hand us (config, profiles, probe results): read as YAML or JSON, then checked
// against a zod schema, so each file's shape is declared once and every error names the file
// and the key. zod: the most used TypeScript schema library, well kept, with typed results.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UsageError } from './errors.js';

/** The file's bytes, or a UsageError "cannot read <what> <path>: <reason>" (one wording for every input file). */
export function readInputFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads a .json file as JSON, anything else as YAML. `what` names the file in errors ("profile", "config file").
 * yaml is imported here, when a YAML file is read, not at every start (~80–95 ms of a `report` that reads
 * none, issue 26); a literal import(), which esbuild follows, so the agent file (a bundle) carries it:
 * 5614bd7's createRequire on first use was missing from the bundle (ad2d2bc), and
 * test/deploy-agent-file.test.ts runs the agent file with a YAML config.
 */
export async function readDataFile(path: string, what: string): Promise<unknown> {
  const text = readInputFile(path, what).toString('utf8');
  const parse: (text: string) => unknown = path.endsWith('.json') ? JSON.parse : (await import('yaml')).parse;
  try {
    return parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

/** Names for unknown keys under a path: under 'tests' an unknown key is an unknown "test". */
export type KeyNouns = Record<string, { noun: string; known: readonly string[] }>;

function describe(issue: z.core.$ZodIssue, nouns: KeyNouns): string {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const noun = nouns[at];
    const key = [...issue.path.map(String), issue.keys[0]!].join('.');
    return `unknown ${noun?.noun ?? 'key'} '${key}'${noun ? ` (known: ${noun.known.join(', ')})` : ''}`;
  }
  // A record key that fails its schema: the key's own message ("bad option name"), not zod's generic one.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return at ? `'${at}': ${message}` : message;
}

/**
 * The value if it has the schema's shape; otherwise a UsageError "<where>: <the first problem>".
 * `describe` is either names for unknown keys (KeyNouns) or a function that words an issue itself.
 */
export function checkShape<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  where: string,
  describeWith: KeyNouns | ((issue: z.core.$ZodIssue) => string) = {},
): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  // An unknown key first: a misspelt key is usually why a required one is missing.
  const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
  throw new UsageError(`${where}: ${typeof describeWith === 'function' ? describeWith(issue) : describe(issue, describeWith)}`);
}
