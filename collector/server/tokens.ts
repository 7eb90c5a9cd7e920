// Credentials and what they bind. Each entry of the tokens file names one agent id, its group,
// the roles it may claim (default: guest only — a baseline must be granted explicitly, so a
// guest's credential cannot make itself its group's reference) and, optionally, the host name
// and variant it must report. An entry is found by its bearer token, or by the subject CN of
// the client certificate (mutual TLS). The file is YAML (or JSON); reloaded on SIGHUP.
import { timingSafeEqual, createHash } from 'node:crypto';
import { UsageError } from '../../lib/errors.js';
import { parse as parseYaml } from 'yaml';
import { readSecretFile } from '../../lib/secret-file.js';

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
      const grant: Grant = { agent: e.agent, group: e.group, roles: e.roles ?? ['guest'], ...(e.host ? { host: e.host } : {}), ...(e.variant ? { variant: e.variant } : {}) };
      if (e.token !== undefined) this.byDigest.set(digest(e.token), grant);
      if (e.certificate !== undefined) this.byCertificate.set(e.certificate, grant);
    }
  }

  get size(): number {
    return this.byDigest.size + this.byCertificate.size;
  }

  lookup(token: string): Grant | undefined {
    const d = digest(token);
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
export function grantMismatch(grant: Grant, h: { agent_id: string; group: string; role: string; hostname: string; variant: string }, what = 'token'): string | undefined {
  if (grant.agent !== h.agent_id || grant.group !== h.group) return `this ${what} may write only as agent '${grant.agent}' in group '${grant.group}'`;
  if (!(grant.roles as readonly string[]).includes(h.role)) return `this ${what} may claim only the role(s) ${grant.roles.join(', ')}, not '${h.role}'`;
  if (grant.host !== undefined && grant.host !== h.hostname) return `this ${what} is bound to host '${grant.host}'`;
  if (grant.variant !== undefined && grant.variant !== (h.variant || 'default')) return `this ${what} is bound to variant '${grant.variant}'`;
  return undefined;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const KEYS = new Set(['token', 'certificate', 'agent', 'group', 'roles', 'host', 'variant']);

function optionalString(v: unknown, where: string, key: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v) throw new UsageError(`${where}: ${key} must be a non-empty string`);
  return v;
}

/** Reads and checks the tokens file; warns through `warn` when other users can read it. */
export function loadTokens(path: string, warn: (message: string) => void = () => {}): TokenTable {
  let raw: unknown;
  const secret = readSecretFile(path, 'tokens file');
  if (secret.warning) warn(secret.warning);
  const text = secret.value;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`cannot read tokens file ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new UsageError(`tokens file ${path}: expected a list of {token, agent, group}`);
  const seen = new Set<string>();
  const entries = raw.map((e, i): TokenEntry => {
    const where = `tokens file ${path}: entry ${i + 1}`;
    if (typeof e !== 'object' || e === null) throw new UsageError(`${where} is not a mapping`);
    const r = e as Record<string, unknown>;
    const extra = Object.keys(r).filter((k) => !KEYS.has(k));
    if (extra.length) throw new UsageError(`${where} has unknown key '${extra[0]}'`);
    const { token, certificate, agent, group, roles } = r;
    if (token === undefined && certificate === undefined) throw new UsageError(`${where}: give a token or a certificate (client certificate CN)`);
    if (token !== undefined && (typeof token !== 'string' || token.length < 16)) throw new UsageError(`${where}: token must be a string of at least 16 characters`);
    if (typeof agent !== 'string' || !agent) throw new UsageError(`${where}: agent is missing`);
    if (typeof group !== 'string' || !group) throw new UsageError(`${where}: group is missing`);
    if (roles !== undefined && (!Array.isArray(roles) || roles.length === 0 || roles.some((x) => !(ROLES as readonly unknown[]).includes(x)))) throw new UsageError(`${where}: roles must be a list of ${ROLES.join(' and/or ')}`);
    const key = token !== undefined ? `t:${String(token)}` : `c:${String(certificate)}`;
    if (seen.has(key)) throw new UsageError(`${where} repeats a ${token !== undefined ? 'token' : 'certificate'}`);
    seen.add(key);
    return {
      ...(token !== undefined ? { token: token as string } : {}),
      ...(certificate !== undefined ? { certificate: optionalString(certificate, where, 'certificate') } : {}),
      agent,
      group,
      ...(roles ? { roles: roles as Role[] } : {}),
      ...(r.host !== undefined ? { host: optionalString(r.host, where, 'host') } : {}),
      ...(r.variant !== undefined ? { variant: optionalString(r.variant, where, 'variant') } : {}),
    };
  });
  return new TokenTable(entries);
}
