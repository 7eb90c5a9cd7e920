// The token file (YAML or JSON list of {token, agent, group}) on a real temp file: what it
// grants, every refusal with its message, and a reload after the file changed (what the
// collector's SIGHUP handler does: load again, and keep the old table when loading fails).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grantMismatch, loadTokens, TokenTable } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string, ext = 'yaml'): string {
  const path = join(dir, `tokens-${++n}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const T1 = 'token-one-0123456789'; // 20 characters
const T2 = 'token-two-0123456789';

/** Asserts loadTokens refuses the file as a usage error (exit 2) with exactly this message. */
function refuses(path: string, message: string): void {
  let caught: unknown;
  try {
    loadTokens(path);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected loadTokens to throw').toBeInstanceOf(Error);
  expect((caught as Error).name).toBe('UsageError');
  expect((caught as Error).message).toBe(message);
}

describe('TokenTable', () => {
  it('grants each token exactly its agent and group; unknown tokens get nothing', () => {
    const t = new TokenTable([
      { token: T1, agent: 'a1', group: 'g1' },
      { token: T2, agent: 'a2', group: 'g2' },
    ]);
    expect(t.size).toBe(2);
    expect(t.lookup(T1)).toEqual({ agent: 'a1', group: 'g1', roles: ['guest'] });
    expect(t.lookup(T2)).toEqual({ agent: 'a2', group: 'g2', roles: ['guest'] });
    expect(t.lookup('token-one-012345678')).toBeUndefined(); // a prefix
    expect(t.lookup(`${T1}x`)).toBeUndefined();
    expect(t.lookup('')).toBeUndefined();
  });

  it('an empty table grants nothing', () => {
    const t = new TokenTable([]);
    expect(t.size).toBe(0);
    expect(t.lookup(T1)).toBeUndefined();
  });
});

describe('loadTokens', () => {
  it('reads YAML', () => {
    const t = loadTokens(file(`- token: ${T1}\n  agent: a1\n  group: g1\n- {token: ${T2}, agent: a2, group: g2}\n`));
    expect(t.size).toBe(2);
    expect(t.lookup(T1)).toEqual({ agent: 'a1', group: 'g1', roles: ['guest'] });
    expect(t.lookup(T2)).toEqual({ agent: 'a2', group: 'g2', roles: ['guest'] });
  });

  it('reads JSON when the name ends in .json', () => {
    const t = loadTokens(file(JSON.stringify([{ token: T1, agent: 'a1', group: 'g1' }]), 'json'));
    expect(t.lookup(T1)).toEqual({ agent: 'a1', group: 'g1', roles: ['guest'] });
  });

  it('an empty list is a table that grants nothing', () => {
    expect(loadTokens(file('[]\n')).size).toBe(0);
  });

  it('a missing or unparsable file is a usage error naming the file', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadTokens(missing)).toThrow(`cannot read tokens file ${missing}: ENOENT`);
    const badJson = file('[{"token": ', 'json');
    expect(() => loadTokens(badJson)).toThrow(new RegExp(`^cannot read tokens file ${badJson}: .*JSON`));
    expect(() => loadTokens(file('- token: [unclosed\n'))).toThrow(/^cannot read tokens file .*tokens-\d+\.yaml: /);
  });

  it('refuses what is not a list of {token, agent, group}', () => {
    let p = file(`token: ${T1}\nagent: a1\ngroup: g1\n`);
    refuses(p, `tokens file ${p}: expected a list of {token, agent, group}`);
    p = file('');
    refuses(p, `tokens file ${p} is empty`); // read as a secret file (issue 16)
    p = file(`- {token: ${T1}, agent: a1, group: g1}\n- just-a-string\n`);
    refuses(p, `tokens file ${p}: entry 2 is not a mapping`);
    p = file(`- {token: ${T1}, agent: a1, group: g1}\n- null\n`);
    refuses(p, `tokens file ${p}: entry 2 is not a mapping`);
    p = file(`- {token: ${T1}, agent: a1, group: g1, role: guest}\n`);
    refuses(p, `tokens file ${p}: entry 1 has unknown key 'role'`);
  });

  it('a token has at least 16 characters; agent and group are non-empty strings', () => {
    expect(loadTokens(file(`- {token: "${'x'.repeat(16)}", agent: a, group: g}\n`)).lookup('x'.repeat(16))).toEqual({
      agent: 'a',
      group: 'g',
      roles: ['guest'],
    });
    let p = file(`- {token: "${'x'.repeat(15)}", agent: a, group: g}\n`);
    refuses(p, `tokens file ${p}: entry 1: token must be a string of at least 16 characters`);
    p = file('- {token: 1234567890123456789, agent: a, group: g}\n'); // a number, however long
    refuses(p, `tokens file ${p}: entry 1: token must be a string of at least 16 characters`);
    p = file(`- {token: ${T1}, group: g}\n`);
    refuses(p, `tokens file ${p}: entry 1: agent is missing`);
    p = file(`- {token: ${T1}, agent: "", group: g}\n`);
    refuses(p, `tokens file ${p}: entry 1: agent is missing`);
    p = file(`- {token: ${T1}, agent: a}\n`);
    refuses(p, `tokens file ${p}: entry 1: group is missing`);
    p = file(`- {token: ${T1}, agent: a, group: 7}\n`);
    refuses(p, `tokens file ${p}: entry 1: group is missing`);
  });

  it('a token given twice is refused (it could not mean two agents)', () => {
    const p = file(`- {token: ${T1}, agent: a1, group: g}\n- {token: ${T2}, agent: a2, group: g}\n- {token: ${T1}, agent: a3, group: g}\n`);
    refuses(p, `tokens file ${p}: entry 3 repeats a token`);
  });
});

describe('reload', () => {
  it('loading the same path after an edit gives the new grants; the old table is unchanged', () => {
    const p = file(`- {token: ${T1}, agent: a1, group: g1}\n- {token: ${T2}, agent: a2, group: g2}\n`);
    const before = loadTokens(p);
    // Revoke T2, move T1 to another group.
    writeFileSync(p, `- {token: ${T1}, agent: a1, group: g9}\n`);
    const after = loadTokens(p);
    expect(after.size).toBe(1);
    expect(after.lookup(T1)).toEqual({ agent: 'a1', group: 'g9', roles: ['guest'] });
    expect(after.lookup(T2)).toBeUndefined();
    expect(before.lookup(T1)).toEqual({ agent: 'a1', group: 'g1', roles: ['guest'] });
    expect(before.lookup(T2)).toEqual({ agent: 'a2', group: 'g2', roles: ['guest'] });
  });

  it('an edit that breaks the file throws, so the caller keeps the table it has', () => {
    const p = file(`- {token: ${T1}, agent: a1, group: g1}\n`);
    const current = loadTokens(p);
    writeFileSync(p, `- {token: short, agent: a1, group: g1}\n`);
    refuses(p, `tokens file ${p}: entry 1: token must be a string of at least 16 characters`);
    expect(current.lookup(T1)).toEqual({ agent: 'a1', group: 'g1', roles: ['guest'] });
  });
});

describe('what a grant binds (issue 16): roles, host, variant, client certificates', () => {
  const h = (over: Partial<{ agent_id: string; group: string; role: string; hostname: string; variant: string }> = {}) => ({
    agent_id: 'a1',
    group: 'g1',
    role: 'guest',
    hostname: 'h1',
    variant: '',
    ...over,
  });

  it('reads roles, host, variant and certificate entries', () => {
    const t = loadTokens(
      file(`- {token: ${T1}, agent: a1, group: g1, roles: [baseline, guest], host: h1, variant: v2}\n- {certificate: agent-2.example, agent: a2, group: g1}\n`),
    );
    expect(t.size).toBe(2);
    expect(t.lookup(T1)).toEqual({ agent: 'a1', group: 'g1', roles: ['baseline', 'guest'], host: 'h1', variant: 'v2' });
    expect(t.lookupCertificate('agent-2.example')).toEqual({ agent: 'a2', group: 'g1', roles: ['guest'] });
    expect(t.lookupCertificate('agent-3.example')).toBeUndefined();
  });

  it('refuses entries that bind nothing or bind badly', () => {
    let p = file('- {agent: a, group: g}\n');
    refuses(p, `tokens file ${p}: entry 1: give a token, a token_sha256 or a certificate (client certificate CN)`);
    p = file(`- {token: ${T1}, token_sha256: ${'a'.repeat(64)}, agent: a, group: g}\n`);
    refuses(p, `tokens file ${p}: entry 1: give the token or its token_sha256, not both`);
    p = file(`- {token_sha256: abc, agent: a, group: g}\n`);
    refuses(p, `tokens file ${p}: entry 1: token_sha256 must be 64 hex digits (the sha256 of the token)`);
    // A token and its digest are one token: it cannot stand for two agents.
    p = file(`- {token: ${T1}, agent: a, group: g}\n- {token_sha256: ${createHash('sha256').update(T1).digest('hex')}, agent: b, group: g}\n`);
    refuses(p, `tokens file ${p}: entry 2 repeats a token`);
    p = file(`- {token: ${T1}, agent: a, group: g, roles: [host]}\n`);
    refuses(p, `tokens file ${p}: entry 1: roles must be a list of baseline and/or guest`);
    p = file(`- {token: ${T1}, agent: a, group: g, roles: []}\n`);
    refuses(p, `tokens file ${p}: entry 1: roles must be a list of baseline and/or guest`);
    p = file(`- {token: ${T1}, agent: a, group: g, host: ""}\n`);
    refuses(p, `tokens file ${p}: entry 1: host must be a non-empty string`);
    p = file('- {certificate: c1, agent: a, group: g}\n- {certificate: c1, agent: b, group: g}\n');
    refuses(p, `tokens file ${p}: entry 2 repeats a certificate`);
  });

  it('grantMismatch: agent and group first, then role (guest only by default), host, variant', () => {
    const plain = { agent: 'a1', group: 'g1', roles: ['guest'] as const };
    expect(grantMismatch(plain, h())).toBeUndefined();
    expect(grantMismatch(plain, h({ agent_id: 'a2' }))).toBe("this token may write only as agent 'a1' in group 'g1'");
    expect(grantMismatch(plain, h({ group: 'g2' }), 'client certificate')).toBe("this client certificate may write only as agent 'a1' in group 'g1'");
    expect(grantMismatch(plain, h({ role: 'baseline' }))).toBe("this token may claim only the role(s) guest, not 'baseline'");
    expect(grantMismatch({ ...plain, roles: ['baseline', 'guest'] }, h({ role: 'baseline' }))).toBeUndefined();
    const bound = { ...plain, host: 'h1', variant: 'v2' };
    expect(grantMismatch(bound, h({ variant: 'v2' }))).toBeUndefined();
    expect(grantMismatch(bound, h({ hostname: 'h9', variant: 'v2' }))).toBe("this token is bound to host 'h1'");
    expect(grantMismatch(bound, h({ variant: 'v3' }))).toBe("this token is bound to variant 'v2'");
    // An empty variant is the 'default' variant.
    expect(grantMismatch({ ...plain, variant: 'default' }, h({ variant: '' }))).toBeUndefined();
  });
});
