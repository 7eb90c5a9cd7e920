// The tokens file as `virt-overhead token` edits it and the running collector follows it, on
// real temp files: what add/revoke write (digests, 0600, comments kept, the owner kept), their
// refusals, the lock between two edits, and watchTokens — a file edited while the collector runs
// is applied, a broken or half-written one keeps the tokens in use. Concurrent edits by real
// processes: test/enrolment.e2e.test.ts and the lock test below (child processes of this one).
import { createHash, pbkdf2 } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addToken, listTokens, revokeTokens } from './token-file.js';
import { loadTokens, watchTokens, type TokenTable } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-token-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (ext = 'yaml') => join(dir, `tokens-${++n}.${ext}`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function refused(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('token add / revoke / list', () => {
  it("add creates the file (0600) holding only the new token's sha256; the collector's loader grants it", () => {
    const path = fresh();
    const { token, entry } = addToken(path, { agent: 'web-17', group: 'rack7', roles: ['guest'] });
    expect(token).toMatch(/^vo1_[A-Za-z0-9_-]{32}$/);
    expect(entry).toEqual({ token_sha256: sha256(token), agent: 'web-17', group: 'rack7' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(sha256(token));
    expect(loadTokens(path).lookup(token)).toEqual({ agent: 'web-17', group: 'rack7', roles: ['guest'] });
    expect(loadTokens(path).lookup(token + 'x')).toBeUndefined();
    // Two tokens are never the same.
    expect(addToken(path, { agent: 'web-18', group: 'rack7' }).token).not.toBe(token);
  });

  it('a baseline, host and variant are written as the collector reads them', () => {
    const path = fresh();
    const { token } = addToken(path, { agent: 'host-1', group: 'g', roles: ['baseline'], host: 'host-1.lan', variant: 'bare' });
    expect(loadTokens(path).lookup(token)).toEqual({ agent: 'host-1', group: 'g', roles: ['baseline'], host: 'host-1.lan', variant: 'bare' });
  });

  it('a duplicate add is refused, naming the entry, and the file is unchanged', () => {
    const path = fresh();
    addToken(path, { agent: 'a1', group: 'g1' });
    const before = readFileSync(path, 'utf8');
    const err = refused(() => addToken(path, { agent: 'a1', group: 'g2' }));
    expect(err.name).toBe('UsageError');
    expect(err.message).toBe(
      `agent 'a1' already has a token (entry 1 of ${path}, group 'g1'): one token per agent. To give it a new one: virt-overhead token revoke --agent a1, then add it again`,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it("revoke removes the agent's tokens and keeps the rest, the operator's comments and certificate entries included", () => {
    const path = fresh();
    writeFileSync(
      path,
      '# rack 7 guests\n- token: plain-token-0123456789\n  agent: a1\n  group: g\n# the baseline, by client certificate\n- certificate: base-1\n  agent: base-1\n  group: g\n  roles: [baseline]\n',
      { mode: 0o600 },
    );
    const { token } = addToken(path, { agent: 'a2', group: 'g' });
    expect(revokeTokens(path, 'a1').map((e) => e.agent)).toEqual(['a1']);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# rack 7 guests');
    expect(text).toContain('# the baseline, by client certificate');
    expect(text).not.toContain('plain-token-0123456789');
    const t = loadTokens(path);
    expect(t.lookup('plain-token-0123456789')).toBeUndefined();
    expect(t.lookup(token)?.agent).toBe('a2');
    expect(t.lookupCertificate('base-1')?.roles).toEqual(['baseline']);
    expect(listTokens(path).map((e) => e.agent)).toEqual(['base-1', 'a2']);
    // The last token gone: an empty list, still a file the collector loads.
    revokeTokens(path, 'a2');
    expect(loadTokens(path).size).toBe(1);
  });

  it('revoking an agent without a token, or in a missing file, is refused', () => {
    const path = fresh();
    expect(refused(() => revokeTokens(path, 'x')).message).toBe(`no tokens file at ${path} (virt-overhead token add creates it)`);
    addToken(path, { agent: 'a', group: 'g' });
    expect(refused(() => revokeTokens(path, 'b')).message).toBe(`agent 'b' has no token in ${path} (virt-overhead token list shows who has one)`);
  });

  it('values the collector would refuse are refused at add', () => {
    const path = fresh();
    expect(refused(() => addToken(path, { agent: 'a\nb', group: 'g' })).message).toBe("--agent 'a\nb' contains a control, format or bidi character");
    expect(refused(() => addToken(path, { agent: 'a', group: 'x'.repeat(129) })).message).toMatch(/^--group 'x+' is longer than 128 bytes$/);
  });

  it('JSON tokens files stay JSON', () => {
    const path = fresh('json');
    const { token } = addToken(path, { agent: 'j', group: 'g' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual([{ token_sha256: sha256(token), agent: 'j', group: 'g' }]);
  });

  it("keeps the file's owner (a collector user may own it)", () => {
    if (process.getuid?.() !== 0) return; // only root can hand a file to another user
    const path = fresh();
    addToken(path, { agent: 'a', group: 'g' });
    chownSync(path, 4321, 4321);
    addToken(path, { agent: 'b', group: 'g' });
    expect([statSync(path).uid, statSync(path).gid, statSync(path).mode & 0o777]).toEqual([4321, 4321, 0o600]);
  });

  it('an edit waits for another one; a lock left by a dead editor is taken over', () => {
    const path = fresh();
    addToken(path, { agent: 'a', group: 'g' });
    // A live holder (this process): the edit gives up after its wait and says who holds it.
    writeFileSync(`${path}.lock`, `${process.pid}\n`);
    const err = refused(() => addToken(path, { agent: 'b', group: 'g' }, { waitMs: 200 }));
    expect(err.message).toBe(`${path}.lock is held by pid ${process.pid} (another token edit); try again when it is done`);
    // A dead holder: pid 2^22+1 is above Linux's pid_max, so no process has it.
    writeFileSync(`${path}.lock`, `${2 ** 22 + 1}\n`);
    addToken(path, { agent: 'b', group: 'g' }, { waitMs: 200 });
    expect(listTokens(path).map((e) => e.agent)).toEqual(['a', 'b']);
  });
});

describe('watchTokens: the file edited while the collector runs', () => {
  it('applies a changed file, keeps the tokens in use when the file is broken, and applies the next good one', async () => {
    const path = fresh();
    const first = addToken(path, { agent: 'a', group: 'g' });
    const tables: TokenTable[] = [];
    const logged: string[] = [];
    const log = {
      info: (o: object, m?: string) => void logged.push(`info ${m} ${JSON.stringify(o)}`),
      warn: (m: unknown) => void logged.push(`warn ${String(m)}`),
      error: (o: object, m?: string) => void logged.push(`error ${m} ${JSON.stringify(o)}`),
    } as unknown as Parameters<typeof watchTokens>[1]['log'];
    const w = watchTokens(path, { apply: (t) => tables.push(t), log, intervalMs: 20 });
    const until = async (cond: () => boolean) => {
      // Generous: the stat poll runs every 20 ms, but a loaded machine may starve it for seconds.
      for (const end = Date.now() + 60_000; Date.now() < end && !cond();) await new Promise((r) => setTimeout(r, 10));
      expect(cond()).toBe(true);
    };
    try {
      // Another edit (token add, atomic): applied without any signal.
      const second = addToken(path, { agent: 'b', group: 'g' });
      await until(() => tables.length === 1);
      expect(tables[0]!.lookup(second.token)?.agent).toBe('b');
      expect(logged.at(-1)).toMatch(/^info tokens reloaded .*"why":"the file changed on disk"/);
      // A hand edit caught half-written: the tokens in use stay.
      writeFileSync(path, readFileSync(path, 'utf8').slice(0, 60));
      await until(() => logged.some((l) => l.startsWith('error tokens reload failed; keeping the old tokens')));
      expect(tables.length).toBe(1);
      // Finished: applied.
      writeFileSync(path, `- token_sha256: ${sha256(first.token)}\n  agent: a\n  group: g\n`, { mode: 0o600 });
      await until(() => tables.length === 2);
      expect(tables[1]!.lookup(first.token)?.agent).toBe('a');
      expect(tables[1]!.lookup(second.token)).toBeUndefined();
      // SIGHUP's path: reload now, whatever the file's stat says.
      w.reload('SIGHUP');
      expect(tables.length).toBe(3);
      expect(logged.at(-1)).toMatch(/"why":"SIGHUP"/);
    } finally {
      w.stop();
    }
    // The waits above allow a starved poll a minute; the test's own limit must not cut them short
    // (vitest's 5 s default did at load 15).
  }, 180_000);

  it('applies an edit made right after the watch began, while the thread pool is busy (the baseline is taken at once)', async () => {
    // Found as a load flake (twice at load 9-12): fs.watchFile takes its first stat on the libuv
    // thread pool, so an edit landing before that stat became its baseline and was never seen.
    const path = fresh();
    addToken(path, { agent: 'a', group: 'g' });
    const tables: TokenTable[] = [];
    const log = { info() {}, warn() {}, error() {} } as unknown as Parameters<typeof watchTokens>[1]['log'];
    // Four slow jobs hold the pool's four threads: any stat queued now waits for them.
    const busy = Array.from({ length: 4 }, () => new Promise((r) => pbkdf2('x', 'y', 400_000, 32, 'sha256', r)));
    const w = watchTokens(path, { apply: (t) => tables.push(t), log, intervalMs: 20 });
    try {
      const second = addToken(path, { agent: 'b', group: 'g' });
      await Promise.all(busy);
      for (const end = Date.now() + 20_000; Date.now() < end && tables.length === 0;) await new Promise((r) => setTimeout(r, 10));
      expect(tables.length).toBe(1);
      expect(tables[0]!.lookup(second.token)?.agent).toBe('b');
    } finally {
      w.stop();
    }
  }, 60_000);
});
