// One temp folder and one private influxd per test file (free loopback port, its own folder
// under the temp folder), and the processes a test started: all stopped by pid after the file's
// tests, then the folder is removed. The one place a test gets an influxd from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startInfluxd, type InfluxdHandle, type InfluxdOptions } from '../../collector/influx/influxd.js';
import { Agent } from 'undici';
import { stopProc, type Proc } from './procs.js';

/** How influxd starts: auth, TLS, INFLUXDB_* env limits. Its folder and port are the fixture's. */
export type InfluxdStart = Omit<InfluxdOptions, 'dir' | 'port'> & {
  /** With authEnabled: the first user, `admin` with all privileges and this password (made without credentials, as InfluxDB allows for the first). */
  adminPassword?: string;
};

export interface InfluxdFixture {
  dir: string;
  p(name: string): string;
  procs: Proc[];
  /** The file's influxd (the latest after restart). */
  readonly influxd: InfluxdHandle;
  /**
   * Stops the current influxd (if still running) and starts one on its port: on the same data,
   * or in `sub` (a folder under dir) with other settings. It becomes `influxd`.
   */
  restart(opts?: InfluxdStart & { sub?: string }): Promise<InfluxdHandle>;
  /** Another influxd in `sub` under dir, on its own port; stopped after the file's tests. */
  another(sub: string, opts?: InfluxdStart): Promise<InfluxdHandle>;
}

/**
 * `start` gives influxd's settings; a function is called when the fixture starts, after the hooks
 * registered before it (so a file can make certificates first). Register it at the top of the
 * file: its beforeAll runs before the file's own, its afterAll after (vitest's hook stack).
 */
export function influxdFixture(prefix: string, start: InfluxdStart | (() => InfluxdStart | Promise<InfluxdStart>) = {}): InfluxdFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const procs: Proc[] = [];
  const started: InfluxdHandle[] = [];
  let influxd: InfluxdHandle | undefined;
  const launch = async ({ adminPassword, ...opts }: InfluxdOptions & InfluxdStart) => {
    const h = await startInfluxd(opts);
    started.push(h);
    if (adminPassword !== undefined) await createAdmin(h, adminPassword, opts.tls?.ca);
    return h;
  };
  beforeAll(async () => {
    influxd = await launch({ ...(typeof start === 'function' ? await start() : start), dir: join(dir, 'influx') });
  });
  afterAll(async () => {
    for (const x of procs) await stopProc(x);
    for (const h of started) await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const current = () => {
    if (!influxd) throw new Error('influxdFixture: used before beforeAll ran');
    return influxd;
  };
  return {
    dir,
    p: (name) => join(dir, name),
    procs,
    get influxd() {
      return current();
    },
    async restart({ sub, ...opts } = {}) {
      const old = current();
      await old.stop();
      influxd = await launch({ ...opts, dir: sub ? join(dir, sub) : old.dir, port: old.port });
      return influxd;
    },
    another: (sub, opts = {}) => launch({ ...opts, dir: join(dir, sub) }),
  };
}

/** The first admin user of an influxd with auth on (InfluxDB 1.x takes that one without credentials). */
async function createAdmin(h: InfluxdHandle, password: string, ca: string | undefined): Promise<void> {
  const q = `CREATE USER admin WITH PASSWORD '${password.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`;
  const res = await influxPost(h, q, { ca });
  if (res.status !== 200) throw new Error(`influxdFixture: creating the admin user: HTTP ${res.status} ${await res.text()}`);
}

/** POSTs an InfluxQL statement to a test influxd: as `auth`'s user where given, trusting `ca` for HTTPS. */
export function influxPost(
  h: InfluxdHandle,
  q: string,
  o: { db?: string; auth?: { user: string; password: string }; ca?: string | undefined } = {},
): Promise<Response> {
  const headers: Record<string, string> = o.auth ? { authorization: `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}` } : {};
  return fetch(`${h.url}/query?q=${encodeURIComponent(q)}${o.db ? `&db=${encodeURIComponent(o.db)}` : ''}`, {
    method: 'POST',
    headers,
    ...(o.ca ? { dispatcher: new Agent({ connect: { ca: o.ca } }) } : {}),
  } as RequestInit);
}
