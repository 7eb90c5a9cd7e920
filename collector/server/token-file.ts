// Edits the collector's tokens file for `virt-overhead token add|revoke|list`, safely while the
// collector runs: one edit at a time (an O_EXCL lock file beside it), the new file written in
// full to a temporary file (mode 0600, the old owner kept), checked by the collector's own loader
// and renamed over the old one, so the collector — which reloads on SIGHUP and when the file
// changes — reads either the old file or the new one, never half of one. The YAML keeps its
// comments. A new token is random, shown once to the caller; the file keeps its sha256.
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { UsageError } from '../../lib/errors.js';
import { MAX_TAG_BYTES, stringProblem } from '../../schema/bounds.js';
import { readTokenEntries, tokenDigest, type Role, type TokenEntry } from './tokens.js';

export interface NewGrant {
  agent: string;
  group: string;
  roles?: Role[];
  host?: string;
  variant?: string;
}

/** How long an edit waits for another edit's lock before it gives up. */
export interface LockOptions {
  waitMs?: number;
}

const HEADER = '# virt-overhead collector tokens: written by `virt-overhead token add|revoke` (docs/install.md "Enrolment").\n';

/** The file's entries, checked as the collector checks them. */
export function listTokens(path: string): TokenEntry[] {
  if (!existsSync(path)) throw new UsageError(`no tokens file at ${path} (virt-overhead token add creates it)`);
  return readTokenEntries(path);
}

/** Adds a token for `grant.agent`; refuses an agent that already has one. Returns the new token. */
export function addToken(path: string, grant: NewGrant, lock: LockOptions = {}): { token: string; entry: TokenEntry } {
  for (const [key, value] of Object.entries({ agent: grant.agent, group: grant.group, host: grant.host, variant: grant.variant })) {
    if (value === undefined) continue;
    const problem = stringProblem(value, MAX_TAG_BYTES);
    if (problem) throw new UsageError(`--${key} '${value}' ${problem}`);
  }
  return edit(path, true, lock, (entries, doc) => {
    const same = entries.findIndex((e) => e.agent === grant.agent && e.certificate === undefined);
    if (same >= 0)
      throw new UsageError(
        `agent '${grant.agent}' already has a token (entry ${same + 1} of ${path}, group '${entries[same]!.group}'): one token per agent. ` +
          `To give it a new one: virt-overhead token revoke --agent ${grant.agent}, then add it again`,
      );
    // base64url of 24 random bytes: 192 bits, 32 characters, safe in a shell line and a YAML scalar.
    const token = `vo1_${randomBytes(24).toString('base64url')}`;
    const entry: TokenEntry = {
      token_sha256: tokenDigest(token),
      agent: grant.agent,
      group: grant.group,
      ...(grant.roles && grant.roles.join() !== 'guest' ? { roles: grant.roles } : {}),
      ...(grant.host ? { host: grant.host } : {}),
      ...(grant.variant ? { variant: grant.variant } : {}),
    };
    (doc.contents as unknown as { add(v: unknown): void }).add(doc.createNode(entry));
    return { token, entry };
  });
}

/** Removes every token entry of `agent` (certificate entries stay); refuses when there is none. */
export function revokeTokens(path: string, agent: string, lock: LockOptions = {}): TokenEntry[] {
  return edit(path, false, lock, (entries, doc) => {
    const gone = entries.map((e, i) => [e, i] as const).filter(([e]) => e.agent === agent && e.certificate === undefined);
    if (gone.length === 0) throw new UsageError(`agent '${agent}' has no token in ${path} (virt-overhead token list shows who has one)`);
    const seq = doc.contents as unknown as { delete(i: number): boolean };
    for (const [, i] of [...gone].reverse()) seq.delete(i);
    return gone.map(([e]) => e);
  });
}

/** Lock, read, change, write whole, check, rename. */
function edit<T>(path: string, create: boolean, lock: LockOptions, change: (entries: TokenEntry[], doc: Document) => T): T {
  return withLock(path, lock.waitMs ?? 10_000, () => {
    const exists = existsSync(path);
    if (!exists && !create) throw new UsageError(`no tokens file at ${path} (virt-overhead token add creates it)`);
    const entries = exists ? readTokenEntries(path) : [];
    const json = path.endsWith('.json');
    const doc = parseDocument(exists && !json ? readFileSync(path, 'utf8') : json ? JSON.stringify(entries) : `${HEADER}[]\n`);
    if (!isSeq(doc.contents) || !doc.contents.items.every((i) => isMap(i))) throw new UsageError(`tokens file ${path}: expected a list of entries`);
    // The file's opening comment reads as the first entry's: keep it at the top when that entry goes.
    const first = doc.contents.items[0] as { commentBefore?: string | null } | undefined;
    if (!doc.commentBefore && first?.commentBefore) [doc.commentBefore, first.commentBefore] = [first.commentBefore, null];
    const result = change(entries, doc);
    // An empty list must still read as a list (`[]`), and a block list stays a block list.
    if (doc.contents.items.length > 0) doc.contents.flow = false;
    const text = json ? JSON.stringify(doc.toJSON(), null, 2) + '\n' : doc.toString();
    replaceFile(path, text, exists ? statSync(path) : undefined);
    return result;
  });
}

/** Writes `text` to a new file beside `path` (0600, the old owner), checks it loads, renames it over `path`. */
function replaceFile(path: string, text: string, old: { uid: number; gid: number } | undefined): void {
  const tmp = join(dirname(path), `.${basename(path)}.new-${process.pid}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (old && process.getuid?.() === 0) chownSync(tmp, old.uid, old.gid);
    readTokenEntries(tmp); // what the collector will read: it must load
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // The rename itself on disk before we say it is done.
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * An O_EXCL lock file holding the editor's pid: a second `token` command waits up to
 * `waitMs`, then says who holds it. A lock whose pid is gone (a killed editor) is taken over.
 */
function withLock<T>(path: string, waitMs: number, fn: () => T): T {
  const lock = `${path}.lock`;
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot write beside ${path}: ${dirname(path)} does not exist`);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let text: string;
      try {
        text = readFileSync(lock, 'utf8').trim();
      } catch {
        continue; // released meanwhile
      }
      // Empty: its holder is between creating it and writing its pid.
      const holder = Number(text);
      if (text !== '' && !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > end) throw new Error(`${lock} is held by pid ${holder} (another token edit); try again when it is done`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
