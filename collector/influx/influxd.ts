// Starts and stops a private influxd (InfluxDB 1.x, Debian package `influxdb`): every
// directory under one folder, HTTP and the RPC bind address on loopback ports. Used by the
// tests, the benchmarks, `quickstart` and the lab; never touches the system's InfluxDB.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent } from 'undici';
import { killChild, stopChild } from '../../lib/child.js';

export interface InfluxdHandle {
  url: string;
  port: number;
  dir: string;
  pid: number;
  /** Stops influxd by its pid (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL, for fault-injection tests. */
  kill(): Promise<void>;
}

export interface InfluxdOptions {
  dir: string;
  port?: number;
  bin?: string;
  readyTimeoutMs?: number;
  /** [http] auth-enabled: every request but /ping needs a user (create the first admin without). */
  authEnabled?: boolean;
  /** HTTPS with this certificate and key (PEM files); `ca` (PEM text) is what /ping trusts while it starts. */
  tls?: { cert: string; key: string; ca: string };
  /** Added to influxd's environment: its INFLUXDB_* settings (e.g. a test's max-series limit). */
  env?: Record<string, string>;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function influxdConfig(dir: string, httpPort: number, rpcPort: number, authEnabled = false, tls?: { cert: string; key: string }): string {
  const https = tls ? `\n  https-enabled = true\n  https-certificate = "${tls.cert}"\n  https-private-key = "${tls.key}"` : '';
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0
  auth-enabled = ${authEnabled}${https}
[logging]
  suppress-logo = true
  level = "warn"
[continuous_queries]
  enabled = true
  log-enabled = false
  run-interval = "1s"
`;
}

async function ping(url: string, init: RequestInit): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { ...init, signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

export async function startInfluxd(opts: InfluxdOptions): Promise<InfluxdHandle> {
  const bin = opts.bin ?? '/usr/bin/influxd';
  if (!existsSync(bin)) throw new Error(`influxd not found at ${bin}: install the Debian package 'influxdb' (apt-get install influxdb)`);
  mkdirSync(opts.dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const rpcPort = await freePort();
  const configPath = join(opts.dir, 'influxdb.conf');
  writeFileSync(configPath, influxdConfig(opts.dir, port, rpcPort, opts.authEnabled ?? false, opts.tls));
  const log = createWriteStream(join(opts.dir, 'influxd.log'), { flags: 'a' });
  const child = spawn(bin, ['-config', configPath], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const init = opts.tls ? ({ dispatcher: new Agent({ connect: { ca: opts.tls.ca } }) } as RequestInit) : {};
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let exited = false;
  child.once('exit', () => (exited = true));
  while (!(await ping(url, init))) {
    if (exited) throw new Error(`influxd exited during start-up; see ${join(opts.dir, 'influxd.log')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`influxd did not answer /ping on ${url} in time; see ${join(opts.dir, 'influxd.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    url,
    port,
    dir: opts.dir,
    pid,
    async stop() {
      await stopChild(child, 10_000);
    },
    async kill() {
      await killChild(child);
    },
  };
}
