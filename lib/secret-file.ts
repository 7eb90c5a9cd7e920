// Secrets come from files (a systemd credential, a root-only file), never from a command line
// that every user's `ps` shows, and never into a log line.
import { statSync } from 'node:fs';
import { UsageError } from './errors.js';
import { readInputFile } from './file-input.js';

export interface Secret {
  value: string;
  /** Set when the file is readable by others or owned by someone else (ssh warns the same way). */
  warning?: string;
}

/** Reads a one-line secret (trailing newline dropped); `option` names it in errors. */
export function readSecretFile(path: string, option: string): Secret {
  const value = readInputFile(path, option)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!value.trim()) throw new UsageError(`${option} ${path} is empty`);
  const warning = secretFileWarning(path, option);
  return warning ? { value, warning } : { value };
}

/** The warning a secret file (token, tokens file, private key) deserves, from its mode and owner. */
export function secretFileWarning(path: string, option: string): string | undefined {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = statSync(path));
  } catch (err) {
    throw new UsageError(`cannot read ${option} ${path}: ${(err as Error).message}`);
  }
  const me = process.getuid?.() ?? 0;
  const problems: string[] = [];
  if ((mode & 0o077) !== 0) problems.push(`mode ${(mode & 0o777).toString(8).padStart(4, '0')} lets other users read it (chmod 600)`);
  if (uid !== me && uid !== 0) problems.push(`it belongs to uid ${uid}, not to this user or root`);
  return problems.length ? `${option} ${path}: ${problems.join('; ')}` : undefined;
}

// Credentials in text that is about to be shown (an error message, a log line): a URL's
// password (`http://user:pass@host`), a password or token in a query (InfluxDB 1.x takes
// `?u=..&p=..`), an Authorization header's value. Every command's messages and logs go through
// redactSecrets (cli/main.ts, cli/log.ts); a URL printed on purpose goes through redactUrl.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]*@/gi;
const QUERY_SECRET = /([?&](?:p|password|passwd|pass|token|access_token|secret)=)[^&#\s'"]*/gi;
const AUTH_HEADER = /\b((?:authorization:?\s*)?(?:basic|bearer)\s+)[A-Za-z0-9._~+/=-]{6,}/gi;

/** The text with every credential it shows replaced by `***`. */
export function redactSecrets(text: string): string {
  return text.replace(URL_PASSWORD, '$1:***@').replace(QUERY_SECRET, '$1***').replace(AUTH_HEADER, '$1***');
}

/** The URL with its password replaced, for logs and messages. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/** Puts username and password into an http(s) URL (percent-encoded, as `user:pass@`). */
export function withCredentials(url: string, username: string, password: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a URL`);
  }
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password);
  return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
}
