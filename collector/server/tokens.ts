// Per-agent tokens: each token may write as exactly one agent id in one group. The file is
// YAML (or JSON): a list of {token, agent, group}. Reloaded on SIGHUP by the collector command.
import { timingSafeEqual, createHash } from 'node:crypto';
import { UsageError } from '../../lib/errors.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface Grant {
  agent: string;
  group: string;
}

export class TokenTable {
  /** sha256(token) → grant: tokens are compared by digest, never kept in logs. */
  private readonly byDigest: Map<string, Grant>;

  constructor(entries: { token: string; agent: string; group: string }[]) {
    this.byDigest = new Map(entries.map((e) => [digest(e.token), { agent: e.agent, group: e.group }]));
  }

  get size(): number {
    return this.byDigest.size;
  }

  lookup(token: string): Grant | undefined {
    const d = digest(token);
    for (const [k, grant] of this.byDigest) {
      if (timingSafeEqual(Buffer.from(k, 'hex'), Buffer.from(d, 'hex'))) return grant;
    }
    return undefined;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function loadTokens(path: string): TokenTable {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`cannot read tokens file ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new UsageError(`tokens file ${path}: expected a list of {token, agent, group}`);
  const seen = new Set<string>();
  const entries = raw.map((e, i) => {
    if (typeof e !== 'object' || e === null) throw new UsageError(`tokens file ${path}: entry ${i + 1} is not a mapping`);
    const { token, agent, group, ...rest } = e as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw new UsageError(`tokens file ${path}: entry ${i + 1} has unknown key '${extra[0]}'`);
    if (typeof token !== 'string' || token.length < 16) throw new UsageError(`tokens file ${path}: entry ${i + 1}: token must be a string of at least 16 characters`);
    if (typeof agent !== 'string' || !agent) throw new UsageError(`tokens file ${path}: entry ${i + 1}: agent is missing`);
    if (typeof group !== 'string' || !group) throw new UsageError(`tokens file ${path}: entry ${i + 1}: group is missing`);
    if (seen.has(token)) throw new UsageError(`tokens file ${path}: entry ${i + 1} repeats a token`);
    seen.add(token);
    return { token, agent, group };
  });
  return new TokenTable(entries);
}
