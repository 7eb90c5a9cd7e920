// Credentials and what they bind. Each entry of the tokens file names one agent id, its group,
// the roles it may claim (default: guest only — a baseline must be granted explicitly, so a
// guest's credential cannot make itself its group's reference) and, optionally, the host name
// and variant it must report. An entry is found by its bearer token, or by the subject CN of
// the client certificate (mutual TLS). The file is YAML (or JSON); reloaded on SIGHUP and when it
// changes on disk (watchTokens). An entry holds the token itself or only its sha256
// (`token_sha256`, what `virt-overhead token add` writes): a leaked file then leaks no token.
import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { UsageError } from '../../lib/errors.js';
import { parse as parseYaml } from 'yaml';
import { readSecretFile } from '../../lib/secret-file.js';
import { checkShape } from '../../lib/file-input.js';
import { z } from 'zod';

export const ROLES = ['baseline', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export interface Grant {
  agent: string;
  group: string;
  /** Roles the hello may claim. */
  roles: readonly Role[];
  /** When set, the hello's hostname must be exactly this. */
  host?: string;
  /** When set, the hello's variant must be exactly this. */
  variant?: string;
}

export interface TokenEntry {
  token?: string;
  /** sha256 of the token, hex: the token itself is shown once, when it is made, and kept nowhere. */
  token_sha256?: string;
  /** Subject CN of a client certificate that stands for this agent. */
  certificate?: string;
  agent: string;
  group: string;
  roles?: readonly Role[];
  host?: string;
  variant?: string;
}

export class TokenTable {
  /** sha256(token) → grant: tokens are compared by digest, never kept in logs. */
  private readonly byDigest: Map<string, Grant>;
  private readonly byCertificate: Map<string, Grant>;

  constructor(entries: TokenEntry[]) {
    this.byDigest = new Map();
    this.byCertificate = new Map();
    for (const e of entries) {
      const grant: Grant = {
        agent: e.agent,
        group: e.group,
        roles: e.roles ?? ['guest'],
        ...(e.host ? { host: e.host } : {}),
        ...(e.variant ? { variant: e.variant } : {}),
      };
      if (e.token !== undefined) this.byDigest.set(tokenDigest(e.token), grant);
      if (e.token_sha256 !== undefined) this.byDigest.set(e.token_sha256.toLowerCase(), grant);
      if (e.certificate !== undefined) this.byCertificate.set(e.certificate, grant);
    }
  }

  get size(): number {
    return this.byDigest.size + this.byCertificate.size;
  }

  lookup(token: string): Grant | undefined {
    const d = tokenDigest(token);
    for (const [k, grant] of this.byDigest) {
      if (timingSafeEqual(Buffer.from(k, 'hex'), Buffer.from(d, 'hex'))) return grant;
    }
    return undefined;
  }

  /** The grant of a verified client certificate, by its subject CN. */
  lookupCertificate(commonName: string): Grant | undefined {
    return this.byCertificate.get(commonName);
  }
}

/** Why a grant does not cover a hello (undefined: it does). */
export function grantMismatch(
  grant: Grant,
  h: { agent_id: string; group: string; role: string; hostname: string; variant: string },
  what = 'token',
): string | undefined {
  if (grant.agent !== h.agent_id || grant.group !== h.group) return `this ${what} may write only as agent '${grant.agent}' in group '${grant.group}'`;
  if (!(grant.roles as readonly string[]).includes(h.role)) return `this ${what} may claim only the role(s) ${grant.roles.join(', ')}, not '${h.role}'`;
  if (grant.host !== undefined && grant.host !== h.hostname) return `this ${what} is bound to host '${grant.host}'`;
  if (grant.variant !== undefined && grant.variant !== (h.variant || 'default')) return `this ${what} is bound to variant '${grant.variant}'`;
  return undefined;
}

/** sha256 of a token, hex: how the table keys tokens, and what `token_sha256` holds. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const TOKEN_TOO_SHORT = 'token must be a string of at least 16 characters';
const TOKEN_SHA256 = 'token_sha256 must be 64 hex digits (the sha256 of the token)';
const nonEmpty = (key: string) => z.string({ error: `${key} must be a non-empty string` }).min(1, `${key} must be a non-empty string`);
const required = (key: string) => z.string({ error: `${key} is missing` }).min(1, `${key} is missing`);
const ROLES_LIST = `roles must be a list of ${ROLES.join(' and/or ')}`;

/** One entry of the tokens file. */
const TOKEN_ENTRY = z
  .strictObject(
    {
      token: z.string({ error: TOKEN_TOO_SHORT }).min(16, TOKEN_TOO_SHORT).optional(),
      token_sha256: z
        .string({ error: TOKEN_SHA256 })
        .regex(/^[0-9a-fA-F]{64}$/, TOKEN_SHA256)
        .optional(),
      certificate: nonEmpty('certificate').optional(),
      agent: required('agent'),
      group: required('group'),
      roles: z
        .array(z.enum(ROLES, { error: ROLES_LIST }), { error: ROLES_LIST })
        .min(1, ROLES_LIST)
        .optional(),
      host: nonEmpty('host').optional(),
      variant: nonEmpty('variant').optional(),
    },
    { error: 'is not a mapping' },
  )
  .refine(
    (e) => e.token !== undefined || e.token_sha256 !== undefined || e.certificate !== undefined,
    'give a token, a token_sha256 or a certificate (client certificate CN)',
  )
  .refine((e) => e.token === undefined || e.token_sha256 === undefined, 'give the token or its token_sha256, not both');

const TOKENS_FILE = z.array(TOKEN_ENTRY, { error: 'expected a list of {token, agent, group}' });

/** "entry 2 is not a mapping", "entry 1 has unknown key 'role'", "entry 1: agent is missing". */
function describeTokenIssue(issue: z.core.$ZodIssue): string {
  const [index, key] = issue.path;
  if (typeof index !== 'number') return issue.message;
  const entry = `entry ${index + 1}`;
  if (issue.code === 'unrecognized_keys') return `${entry} has unknown key '${issue.keys[0]}'`;
  if (key === undefined && issue.code === 'invalid_type') return `${entry} ${issue.message}`;
  return `${entry}: ${issue.message}`;
}

/** Reads and checks the tokens file; warns through `warn` when other users can read it. */
export function loadTokens(path: string, warn: (message: string) => void = () => {}): TokenTable {
  return new TokenTable(readTokenEntries(path, warn));
}

/** The tokens file's entries, checked (shape, one token or certificate per agent). */
export function readTokenEntries(path: string, warn: (message: string) => void = () => {}): TokenEntry[] {
  let raw: unknown;
  const secret = readSecretFile(path, 'tokens file');
  if (secret.warning) warn(secret.warning);
  const text = secret.value;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`cannot read tokens file ${path}: ${(err as Error).message}`);
  }
  const entries: TokenEntry[] = checkShape(TOKENS_FILE, raw, `tokens file ${path}`, describeTokenIssue);
  // One token or certificate cannot stand for two agents (a token and its digest are the same token).
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const isCert = e.token === undefined && e.token_sha256 === undefined;
    const key = isCert ? `c:${e.certificate}` : `t:${e.token_sha256?.toLowerCase() ?? tokenDigest(e.token!)}`;
    if (seen.has(key)) throw new UsageError(`tokens file ${path}: entry ${i + 1} repeats a ${isCert ? 'certificate' : 'token'}`);
    seen.add(key);
  });
  return entries;
}

/**
 * Keeps a running collector's table in step with its tokens file: `reload()` (SIGHUP), and by
 * itself when the file changes on disk (its stat checked every `intervalMs`: an atomic rename,
 * a hand edit). A file that does not load — broken, or caught half-written by an editor — keeps
 * the table in use and is logged; the next change is tried again.
 */
export function watchTokens(
  path: string,
  o: { apply(table: TokenTable): void; log: Pick<Logger, 'info' | 'warn' | 'error'>; intervalMs?: number },
): { reload(why: string): void; stop(): void } {
  // The baseline is taken here, at once: fs.watchFile took its first stat later, on the thread
  // pool, and an edit that landed before it became the baseline and was never applied.
  let loaded = fileDigest(path);
  let seen = statSignature(path);
  const reload = (why: string) => {
    try {
      const entries = readTokenEntries(path, (m) => o.log.warn(m));
      o.apply(new TokenTable(entries));
      loaded = fileDigest(path);
      o.log.info({ tokens: path, entries: entries.length, why }, 'tokens reloaded');
    } catch (err) {
      o.log.error({ tokens: path, why, error: (err as Error).message }, 'tokens reload failed; keeping the old tokens');
    }
  };
  const poll = () => {
    const now = statSignature(path);
    if (now === seen) return;
    seen = now;
    // Touched but the same bytes (or gone for a moment): nothing to do.
    const digest = fileDigest(path);
    if (digest !== null && digest !== loaded) reload('the file changed on disk');
  };
  const timer = setInterval(poll, o.intervalMs ?? 2000).unref();
  return { reload, stop: () => clearInterval(timer) };
}

/** What a change on disk changes: the inode (an atomic rename), the size, the mtime; null when absent. */
function statSignature(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

function fileDigest(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}
